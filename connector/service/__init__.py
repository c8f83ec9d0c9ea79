"""The HTTP service: the gateway Logto calls and the admin console, over the kit's host."""
