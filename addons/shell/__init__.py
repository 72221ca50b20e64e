"""The command-line chat testers use (`make shell`): a client of the running assistant."""
