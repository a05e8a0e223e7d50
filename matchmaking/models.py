# Matching engine models arrive with the matching issue.
