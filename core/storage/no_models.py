"""An empty models module: tortoise's one app while no app has registered models.

Tortoise refuses to start without an app, but a server may run (and ping and migrate
its database) before any plugin has registered models.
"""
