"""wechatpy clients built from app.config["WECHAT"]: one per app, cached per process.

What this adds to wechatpy's WeChatClient:
- every URL honours API_BASE / MP_BASE (wechatpy hard-codes https://api.weixin.qq.com in
  class attributes and in a few absolute URLs), so the same code talks to the emulator;
- the token comes from POST /cgi-bin/stable_token and is cached in Redis, shared by all
  processes; a refresh runs under a Redis lock, so only one process fetches at a time;
- a call answered 40001/40014/42001 is refreshed and retried once (wechatpy recurses forever);
- network failures raise WeChatNetworkError instead of a bare requests exception;
- endpoints that take no access_token (sns/jscode2session, sns/oauth2/...) are sent without one
  (wechatpy would fetch a token for them).
"""
from __future__ import annotations

import inspect
import logging
import time
from typing import Any

import requests
from flask import current_app
from redis import Redis
from redis.exceptions import LockError
from wechatpy.client import WeChatClient
from wechatpy.client.api.base import BaseWeChatAPI
from wechatpy.exceptions import WeChatClientException
from wechatpy.oauth import WeChatOAuth
from wechatpy.session.redisstorage import RedisStorage

from wechat.exceptions import TOKEN_ERRCODES, AccessTokenError, WeChatNetworkError

log = logging.getLogger(__name__)

REDIS_PREFIX = "wq:wechat"
TOKEN_MEMO = 30.0  # s a process reuses the access token it read from Redis
REAL_API = "https://api.weixin.qq.com"
REAL_MP = "https://mp.weixin.qq.com"
REAL_OPEN = "https://open.weixin.qq.com"
# Paths answered without an access_token (they authenticate with appid + secret or a user token).
NO_TOKEN_PATHS = ("/sns/jscode2session", "/sns/oauth2/", "/sns/userinfo", "/sns/auth",
                  "/cgi-bin/token", "/cgi-bin/stable_token")


class ConfiguredWeChatClient(WeChatClient):
    """A WeChatClient whose hosts, token source and retry policy come from our settings."""

    def __init__(self, appid: str, secret: str, *, redis: Redis, api_base: str = REAL_API,
                 mp_base: str = REAL_MP, timeout: float = 3.0, proxy: str = "") -> None:
        super().__init__(appid, secret, session=RedisStorage(redis, prefix=REDIS_PREFIX),
                         timeout=timeout, auto_retry=False)
        self.redis = redis
        # One kept-alive HTTP session per client (clients are cached per process). trust_env off:
        # requests would look up proxy variables and .netrc on every call; a deployment that
        # needs a proxy to reach WeChat sets WECHAT.HTTP_PROXY.
        self._http.trust_env = False
        if proxy:
            self._http.proxies = {"http": proxy, "https": proxy}
        self._token_memo: tuple[str, float] | None = None
        self.api_base = api_base.rstrip("/")
        self.mp_base = mp_base.rstrip("/")
        # wechatpy reads these class attributes; instance copies point them at our hosts.
        self.API_BASE_URL = self.rebase(WeChatClient.API_BASE_URL)
        # (Looked up on the class: inspect.getmembers(self) would evaluate access_token.)
        for name, _ in inspect.getmembers(type(self), lambda o: isinstance(o, BaseWeChatAPI)):
            api = self.__dict__[name]  # wechatpy's __new__ gave each client its own API objects
            if getattr(api, "API_BASE_URL", None):
                api.API_BASE_URL = self.rebase(api.API_BASE_URL)

    def rebase(self, url: str) -> str:
        """Point a hard-coded WeChat URL at the configured host."""
        if url.startswith(REAL_API):
            return self.api_base + url[len(REAL_API):]
        if url.startswith(REAL_MP):
            return self.mp_base + url[len(REAL_MP):]
        return url

    def showqrcode_url(self, ticket: str) -> str:
        """The QR image URL of a parametric code ticket (wechatpy's get_url is hard-coded)."""
        return requests.Request("GET", self.mp_base + "/cgi-bin/showqrcode",
                                params={"ticket": ticket}).prepare().url

    # -- access token -------------------------------------------------------------------------

    @property
    def lock_name(self) -> str:
        return f"{REDIS_PREFIX}:lock:{self.appid}_access_token"

    @property
    def access_token(self) -> str:
        """The cached token, fetched (once across processes) when missing; kept in memory for
        TOKEN_MEMO seconds so a batch of sends does not read Redis before each one (a token
        WeChat refuses is refreshed and the memo replaced)."""
        memo = self._token_memo
        if memo is not None and time.monotonic() < memo[1]:
            return memo[0]
        token = self.session.get(self.access_token_key) or self.refresh_access_token()
        self._token_memo = (token, time.monotonic() + TOKEN_MEMO)
        return token

    def refresh_access_token(self, stale: str | None = None) -> str:
        """A token other than ``stale``: whoever holds the lock fetches, the others re-read."""
        self._token_memo = None
        lock_ttl = 2 * float(self.timeout or 3.0) + 2
        lock = self.redis.lock(self.lock_name, timeout=lock_ttl, blocking_timeout=lock_ttl + 1,
                               sleep=0.05)
        if not lock.acquire():
            token = self.session.get(self.access_token_key)
            if token and token != stale:
                return token
            raise AccessTokenError(None, "等待 access_token 刷新超时", client=self)
        try:
            token = self.session.get(self.access_token_key)
            if token and token != stale:
                return token  # another process refreshed it while we waited
            token = self.fetch_access_token()["access_token"]
            if stale and token == stale:
                # WeChat still hands out the token it just rejected: force a new one.
                token = self.fetch_access_token(force_refresh=True)["access_token"]
            return token
        finally:
            try:
                lock.release()
            except LockError:  # expired while fetching; harmless, the token is stored
                log.warning("wechat token lock for %s expired before release", self.appid)

    def fetch_access_token(self, force_refresh: bool = False) -> dict[str, Any]:
        """POST /cgi-bin/stable_token and cache the token in Redis (shared by every process)."""
        body = {"grant_type": "client_credential", "appid": self.appid, "secret": self.secret,
                "force_refresh": force_refresh}
        try:
            res = self._http.post(self.api_base + "/cgi-bin/stable_token", json=body,
                                  timeout=self.timeout)
            res.raise_for_status()
            result = res.json()
        except requests.RequestException as exc:
            raise WeChatNetworkError(f"stable_token: {type(exc).__name__}", client=self) from exc
        except ValueError as exc:
            raise AccessTokenError(None, "stable_token 返回了非 JSON 内容", client=self) from exc
        if result.get("errcode") or not result.get("access_token"):
            raise AccessTokenError(result.get("errcode"), result.get("errmsg"), client=self,
                                   request=res.request, response=res)
        expires_in = int(result.get("expires_in", 7200))
        # Stop using it a minute early so a call never races the expiry.
        ttl = expires_in - 60 if expires_in > 120 else max(expires_in // 2, 1)
        self.session.set(self.access_token_key, result["access_token"], ttl)
        log.info("wechat access_token fetched for %s (expires in %ss)", self.appid, expires_in)
        return result

    # -- requests ----------------------------------------------------------------------------

    def _request(self, method: str, url_or_endpoint: str, **kwargs: Any) -> Any:
        base = kwargs.pop("api_base_url", None) or self.API_BASE_URL
        if url_or_endpoint.startswith(("http://", "https://")):
            url = self.rebase(url_or_endpoint)
        else:
            url = base + url_or_endpoint
        kwargs.setdefault("timeout", self.timeout)
        params = kwargs.get("params")
        if params is not None and not isinstance(params, dict):
            return self._send(method, url, kwargs)  # wechatpy adds no token to non-dict params
        params = dict(params or {})
        if any(path in url for path in NO_TOKEN_PATHS):
            params.setdefault("access_token", None)  # requests drops None: no token is sent
        uses_token = "access_token" not in params
        for attempt in (1, 2):
            call = dict(kwargs, params=dict(params))
            if uses_token:
                call["params"]["access_token"] = self.access_token
            try:
                return self._send(method, url, call)
            except AccessTokenError:
                raise
            except WeChatClientException as exc:
                if not (uses_token and attempt == 1 and exc.errcode in TOKEN_ERRCODES):
                    raise
                log.info("wechat answered %s for %s; refreshing the token once", exc.errcode, url)
                self.refresh_access_token(stale=call["params"]["access_token"])
        raise AssertionError("unreachable")  # pragma: no cover

    def _send(self, method: str, url: str, kwargs: dict[str, Any]) -> Any:
        try:
            return super()._request(method, url, **kwargs)
        except requests.RequestException as exc:
            raise WeChatNetworkError(f"{url}: {type(exc).__name__}", client=self) from exc
        except WeChatClientException as exc:
            if exc.errcode is None and exc.response is not None:  # wechatpy's HTTP-status error
                raise WeChatNetworkError(f"{url}: HTTP {exc.response.status_code}", client=self,
                                         response=exc.response) from exc
            raise


class ConfiguredOAuth(WeChatOAuth):
    """wechatpy's web OAuth with our hosts and a timeout (wechatpy's has none)."""

    def __init__(self, *args: Any, api_base: str, open_base: str, timeout: float,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.API_BASE_URL = api_base.rstrip("/") + "/"
        self.OAUTH_BASE_URL = open_base.rstrip("/") + "/connect/"
        self.timeout = timeout

    def _request(self, method: str, url_or_endpoint: str, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", self.timeout)
        try:
            return super()._request(method, url_or_endpoint, **kwargs)
        except requests.RequestException as exc:
            raise WeChatNetworkError(f"oauth: {type(exc).__name__}") from exc


def build_client(settings: dict[str, Any], which: str, redis: Redis) -> ConfiguredWeChatClient:
    """A new client for "OFFICIAL" or "MINIPROGRAM" from a WECHAT settings dict."""
    app_settings = settings[which]
    return ConfiguredWeChatClient(
        app_settings["APPID"], app_settings["SECRET"], redis=redis,
        api_base=settings["API_BASE"], mp_base=settings["MP_BASE"],
        timeout=float(settings["HTTP_TIMEOUT"]), proxy=settings.get("HTTP_PROXY") or "")


def shared_redis() -> Redis:
    """The Redis the app gave wechat.init_app: access tokens are shared by every process."""
    return current_app.extensions["wq_wechat_redis"]()


def _cached(which: str) -> ConfiguredWeChatClient:
    cache = current_app.extensions.setdefault("wq_wechat_clients", {})
    client = cache.get(which)
    if client is None:
        client = cache[which] = build_client(current_app.config["WECHAT"], which, shared_redis())
    return client


def official_client() -> ConfiguredWeChatClient:
    """The official account's (公众号) client for the current app."""
    return _cached("OFFICIAL")


def miniprogram_client() -> ConfiguredWeChatClient:
    """The mini-program's (小程序) client for the current app."""
    return _cached("MINIPROGRAM")


def official_oauth(redirect_uri: str, scope: str = "snsapi_base", state: str = "") -> ConfiguredOAuth:
    """Web OAuth for the official account; ``authorize_url`` is where to send the browser."""
    settings = current_app.config["WECHAT"]
    return ConfiguredOAuth(settings["OFFICIAL"]["APPID"], settings["OFFICIAL"]["SECRET"],
                           redirect_uri, scope, state, api_base=settings["API_BASE"],
                           open_base=settings["OPEN_BASE"], timeout=float(settings["HTTP_TIMEOUT"]))


def reset_clients() -> None:
    """Forget the cached clients of the current app (after changing its WECHAT settings)."""
    for client in current_app.extensions.pop("wq_wechat_clients", {}).values():
        client._http.close()
