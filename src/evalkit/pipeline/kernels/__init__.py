"""Warm kernels for the report notebooks: the kernelspec, the fork server and its provisioner."""
