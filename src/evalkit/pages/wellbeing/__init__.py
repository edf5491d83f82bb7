"""The wellbeing outcomes page (02): change in wellbeing, for whom, and talking therapies."""
