"""Report pages: one module (or package) per notebook, returning display-ready blocks."""
