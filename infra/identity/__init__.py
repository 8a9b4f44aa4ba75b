"""Identity: accounts and API tokens, web sign-in (password, TOTP, sessions, limits), the hash-chained audit log and
its signed checkpoints.
"""
