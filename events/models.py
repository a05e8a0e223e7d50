# Event models arrive with the events issue.
