"""WeChat identities (an openid under one app) and the account each is bound to."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Optional

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import MYSQL_TABLE_ARGS, TimestampMixin, str_enum


class WechatApp(str, enum.Enum):
    OFFICIAL = "official"  # 公众号
    MINIPROGRAM = "miniprogram"  # 小程序


class WechatIdentity(TimestampMixin, db.Model):
    __tablename__ = "wechat_identities"
    __table_args__ = (
        UniqueConstraint("appid", "openid"),
        # One account has at most one identity per kind of app.
        UniqueConstraint("account_id", "app"),
        MYSQL_TABLE_ARGS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    app: Mapped[WechatApp] = mapped_column(str_enum(WechatApp, "wechat_app"))
    appid: Mapped[str] = mapped_column(String(32))
    openid: Mapped[str] = mapped_column(String(64))
    unionid: Mapped[Optional[str]] = mapped_column(String(64), index=True)
    account_id: Mapped[Optional[int]] = mapped_column(ForeignKey("accounts.id"))
    follows: Mapped[bool] = mapped_column(default=False)  # official account only
    followed_at: Mapped[Optional[datetime]] = mapped_column()
    unfollowed_at: Mapped[Optional[datetime]] = mapped_column()
    bound_at: Mapped[Optional[datetime]] = mapped_column()

    account = relationship("Account")
