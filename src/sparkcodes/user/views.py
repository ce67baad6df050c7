"""Pages: log in, sign up, log out, and the home page that leads to the creator and brand sides."""

from __future__ import annotations

from fastapi import APIRouter, Form, Query
from fastapi.responses import Response

from sparkcodes.business import service as business_service
from sparkcodes.creator import service as creator_service
from sparkcodes.deps import client_ip
from sparkcodes.kit import limits
from sparkcodes.user import service
from sparkcodes.web.kit import (
    SESSION_COOKIE,
    WebForm,
    WebFormOptional,
    WebPage,
    WebPageOptional,
    safe_next,
    too_long,
)

router = APIRouter(tags=["pages"])


@router.get("/")
def home(web: WebPage) -> Response:
    """Where to go next: your creator accounts and your businesses."""
    creators = creator_service.owned_by(web.session, user=web.me)
    businesses = business_service.of_user(web.session, user=web.me)
    return web.render("user/home.html", {"creators": creators, "businesses": businesses})


@router.get("/login")
def login_form(web: WebPageOptional, next: str = Query("/", max_length=500)) -> Response:
    if web.user is not None:
        return web.redirect(safe_next(next))
    return web.render("user/login.html", {"next": safe_next(next), "email": "", "errors": {}})


@router.post("/login")
def login(web: WebFormOptional, email: str = Form(""), password: str = Form(""),
          next: str = Form("/", max_length=500)) -> Response:
    errs = too_long({"email": email, "password": password},
                    {"email": limits.EMAIL, "password": limits.PASSWORD})
    if errs:
        return web.render("user/login.html", {"next": safe_next(next), "email": email,
                                              "errors": errs}, status=422)
    user, error = web.attempt(service.check_password, web.session,
                              limiter=web.request.app.state.limiter,
                              ip=client_ip(web.request), email=email, password=password)
    if error is not None:
        # 401 for a wrong password; a limit (429) or its store being down (503) keeps its
        # status and Retry-After.
        return web.render("user/login.html", {"next": safe_next(next), "email": email,
                                              "errors": {"password": error.message}},
                          status=error.status, headers=error.headers)
    assert user is not None
    response = web.redirect(safe_next(next))
    web.start_session(response, user)
    return response


@router.get("/signup")
def signup_form(web: WebPageOptional) -> Response:
    if web.user is not None:
        return web.redirect("/")
    return web.render("user/signup.html", {"values": {}, "errors": {}})


_SIGNUP_LIMITS = {"email": limits.EMAIL, "password": limits.PASSWORD,
                  "name": limits.PERSON_NAME}
_SIGNUP_FIELD = {"invalid_email": "email", "email_taken": "email", "weak_password": "password"}


@router.post("/signup")
def signup(web: WebFormOptional, email: str = Form(""), password: str = Form(""),
           name: str = Form("")) -> Response:
    errs = too_long({"email": email, "password": password, "name": name}, _SIGNUP_LIMITS)
    if errs:
        return web.render("user/signup.html", {"values": {"email": email, "name": name},
                                               "errors": errs}, status=422)
    user, error = web.attempt(service.sign_up, web.session, email=email, password=password,
                              name=name)
    if error is not None:
        field = _SIGNUP_FIELD.get(error.code, "email")
        return web.render("user/signup.html", {"values": {"email": email, "name": name},
                                               "errors": {field: error.message}},
                          status=error.status if error.status != 401 else 422)
    assert user is not None
    response = web.redirect("/")
    web.start_session(response, user)
    return response


@router.post("/logout")
def logout(web: WebForm) -> Response:
    """Revoke the session's token and drop the cookie."""
    service.log_out(web.session, settings=web.settings, user=web.me, token=web.raw_token or "")
    response = web.redirect("/login")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response

