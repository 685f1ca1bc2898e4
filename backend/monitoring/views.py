"""The live alert console page (实时预警台): one HTML page, its script does the rest through the API.

The page itself is public; staff log in on it through ``POST /api/v1/auth/login`` and everything
they see afterwards comes from the scoped staff API and the console websocket.

The interface text lives here, in both languages, rather than in gettext catalogues: the page must
read in Chinese out of the box, and one table feeds both the template and the script. The alert
words (kinds, severities, statuses, resolutions) are not here: they are the alert vocabulary of
``backend.core.vocabulary``, translated by the catalogues like every other choice.
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.text import capfirst
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_safe

from backend.core import vocabulary
from backend.core.vocabulary import AlertStatus
from backend.monitoring.consumers import CATCH_UP_DEGRADED_S

# ---------------------------------------------------------------------------------------------
# Interface text: key -> (简体中文, English)
# ---------------------------------------------------------------------------------------------

TEXT: dict[str, tuple[str, str]] = {
    "title": ("实时预警台", "Live alert console"),
    "app_name": ("社区矫正 · 实时预警台", "Community corrections · live alerts"),
    "login_title": ("工作人员登录", "Staff login"),
    "login_hint": ("使用司法所或司法局工作账号登录。", "Sign in with your justice office or bureau account."),
    "username": ("用户名", "Username"),
    "password": ("密码", "Password"),
    "otp_token": ("动态验证码", "Verification code"),
    "login": ("登录", "Sign in"),
    "logging_in": ("正在登录…", "Signing in…"),
    "logout": ("退出", "Sign out"),
    "login_failed": ("登录失败", "Sign-in failed"),
    "session_expired": ("登录已过期，请重新登录。", "Your session has expired; please sign in again."),
    "loading": ("正在加载…", "Loading…"),
    "conn_connected": ("已连接", "Connected"),
    "conn_connecting": ("连接中…", "Connecting…"),
    "conn_reconnecting": ("重连中…", "Reconnecting…"),
    "conn_offline": ("未连接", "Offline"),
    "conn_degraded": (
        f"实时通道中断，每{CATCH_UP_DEGRADED_S:g}秒刷新",
        f"Live channel down, refreshing every {CATCH_UP_DEGRADED_S:g} s",
    ),
    "county": ("全县", "Whole county"),
    "alerts": ("预警", "Alerts"),
    "alert_list": ("待处理预警", "Alerts to handle"),
    "tab_all": ("全部", "All"),
    "no_alerts": ("暂无待处理预警", "No alerts to handle"),
    "acknowledge": ("签收", "Acknowledge"),
    "resolve": ("处置", "Resolve"),
    "late": ("补传", "late data"),
    "returned": ("已返回", "returned"),
    "escalated": ("已升级", "Escalated"),
    "escalated_head": ("所长", "office head"),
    "escalated_bureau": ("局值班", "bureau on duty"),
    "new_alerts": ("新预警", "new alerts"),
    "resolve_title": ("处置预警", "Resolve alert"),
    "resolution": ("处置结果", "Outcome"),
    "choose": ("请选择…", "Choose…"),
    "note": ("处置说明", "Note"),
    "note_hint": ("除“误报”外，请写明采取的措施。", "Describe what was done (not needed for a false alarm)."),
    "note_required": ("请填写处置说明。", "Please describe what was done."),
    "cancel": ("取消", "Cancel"),
    "confirm_resolve": ("确认处置", "Resolve"),
    "error": ("操作失败", "Something went wrong"),
    "map": ("电子地图", "Map"),
    "map_label": ("司法所辖区、电子围栏与人员位置地图", "Map of office areas, geofences and positions"),
    "zoom_in": ("放大", "Zoom in"),
    "zoom_out": ("缩小", "Zoom out"),
    "zoom_fit": ("显示全部辖区", "Show all areas"),
    "legend": ("图例", "Legend"),
    "legend_office": ("司法所辖区", "Office area"),
    "legend_inclusion": ("活动区域（不得离开）", "Inclusion zone"),
    "legend_exclusion": ("禁止区域（不得进入）", "Exclusion zone"),
    "legend_person": ("人员最新位置", "Latest position"),
    "legend_alerted": ("有未处理预警", "Has open alerts"),
    "legend_track": ("轨迹", "Track"),
    "track": ("轨迹", "Track"),
    "track_points": ("个定位点", "fixes"),
    "track_empty": ("近24小时无定位", "No fixes in the last 24 h"),
    "last_fix": ("最新定位", "Latest fix"),
    "accuracy": ("精度", "accuracy"),
    "close": ("关闭", "Close"),
    "sound_on": ("提示音：开", "Sound: on"),
    "sound_off": ("提示音：关", "Sound: off"),
    "language": ("语言", "Language"),
    "map_stats": ("定位 {p} 人 · 围栏 {z} 个", "{p} located · {z} zones"),
    "no_alerts_hint": ("新的预警会在这里出现，并有提示音。", "New alerts appear here, with a sound."),
}


def _pick(table: dict[str, tuple[str, str]], english: bool) -> dict[str, str]:
    return {key: pair[1] if english else pair[0] for key, pair in table.items()}


def tile_origins(urls: list[str], subdomains: list[str]) -> list[str]:
    """The origins the configured tile URLs load from, one per subdomain where the host has ``{s}``."""
    origins: list[str] = []
    for url in urls:
        scheme, rest = url.split("://", 1)
        host = re.split(r"[/?#]", rest, maxsplit=1)[0]
        for name in subdomains if "{s}" in host else [""]:
            origin = f"{scheme}://{host.replace('{s}', name)}"
            if origin not in origins:
                origins.append(origin)
    return origins


def content_security_policy(request: HttpRequest) -> str:
    """Scripts, styles and connections from this server only; images also from the tile hosts, if any."""
    websocket = ("wss://" if request.is_secure() else "ws://") + request.get_host()
    images = " ".join(
        ["'self'", "data:", *tile_origins(settings.MAP_TILE_URLS, settings.MAP_TILE_SUBDOMAINS)]
    )
    return (
        f"default-src 'self'; img-src {images}; connect-src 'self' {websocket}; object-src 'none'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


@require_safe
@ensure_csrf_cookie
def console_page(request: HttpRequest) -> HttpResponse:
    """The console shell: text in the request's language, map tiles, API and websocket paths."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    english = language.lower().startswith("en")
    text = _pick(TEXT, english)
    # The alert words are the model's own choices (``backend.core.vocabulary``), in the request's
    # language: the same labels as the API, the admin and the pushes.
    labels = {
        name: {value: capfirst(label) for value, label in vocabulary.labels(choices).items()}
        for name, choices in vocabulary.ALERT_VOCABULARIES.items()
    }
    status = labels["status"]
    text.update(
        tab_open=status[AlertStatus.OPEN],
        tab_acknowledged=status[AlertStatus.ACKNOWLEDGED],
        acknowledged_ok=status[AlertStatus.ACKNOWLEDGED],
        resolved_ok=status[AlertStatus.RESOLVED],
    )
    resolutions = labels["resolution"]
    config: dict[str, Any] = {
        "lang": "en" if english else "zh-hans",
        "locale": "en-GB" if english else "zh-CN",
        "timeZone": settings.TIME_ZONE,
        "api": "/api/v1",
        "ws": "/ws/console/",
        "tiles": {
            "urls": settings.MAP_TILE_URLS,
            "subdomains": settings.MAP_TILE_SUBDOMAINS,
            "attribution": settings.MAP_TILE_ATTRIBUTION,
            "maxZoom": settings.MAP_TILE_MAX_ZOOM,
        },
        "text": text,
        "labels": labels,
    }
    context = {
        "t": text,
        "config": config,
        "html_lang": "en" if english else "zh-Hans",
        "resolutions": list(resolutions.items()),
        "english": english,
    }
    response = render(request, "monitoring/console.html", context)
    response["Content-Security-Policy"] = content_security_policy(request)
    return response
