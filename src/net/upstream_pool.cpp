// Placeholder: the upstream connection pool lands here.
