"""The read side: lists with filters, sorting and paging; every list is bounded and N+1-free."""
