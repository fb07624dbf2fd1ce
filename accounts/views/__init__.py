"""Accounts' pages, one module per topic: logging in and where each role lands (login), a
customer's sign-up (signup), a new password by SMS code (passwords), and the two steps that
prove a phone number, which the sign-up, the password reset and the provider application share
(phone_steps)."""
