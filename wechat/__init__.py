"""Everything WeChat: clients, mini-program login, OAuth, QR login, messages, callback, emulator."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Attach the WeChat configuration, callback and (when configured) the emulator to the app."""
    from wechat.callback import bp as callback_bp
    from wechat.settings import apply_defaults

    apply_defaults(app)
    app.register_blueprint(callback_bp)
    exempt = [callback_bp]
    if app.config["WECHAT"]["EMULATOR"]:
        from wechat.emulator import bp as emulator_bp

        app.register_blueprint(emulator_bp)
        exempt.append(emulator_bp)
    csrf = app.extensions.get("csrf")  # WeChat's servers and the emulator post no CSRF token
    if csrf is not None:
        for blueprint in exempt:
            csrf.exempt(blueprint)
