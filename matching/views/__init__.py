"""Matching's pages, one module per audience; urls.py imports each module.

dashboard   the provider's day: offers to accept or decline, jobs to do
choose      the customer picks one of the recommended providers (R-MAT-2)
audit       the operator's candidates audit and assignment by hand (R-MAT-1)
batch       the operators' batch assignment: preview, assign, result (R-MAT-5)
"""
