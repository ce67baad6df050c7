from __future__ import annotations

from fastapi import APIRouter, Request

from sparkcodes.deps import SessionDep, SettingsDep, UserDep, client_ip
from sparkcodes.user import service
from sparkcodes.user.schemas import LogIn, NewToken, SignUp, TokenOut, UserOut
from sparkcodes.web.apidocs import LIMITED, ErrorOut

router = APIRouter(prefix="/v1", tags=["users"])


@router.post("/users", response_model=UserOut, status_code=201)
def sign_up(body: SignUp, session: SessionDep) -> UserOut:
    """Create an account. Then log in with `POST /v1/tokens`."""
    user = service.sign_up(session, email=body.email, password=body.password, name=body.name)
    return UserOut.model_validate(user)


@router.post("/tokens", response_model=NewToken, status_code=201, responses={
    **LIMITED, 401: {"model": ErrorOut, "description": "The e-mail or password is wrong."}})
def log_in(body: LogIn, request: Request, session: SessionDep,
           settings: SettingsDep) -> NewToken:
    """Exchange e-mail and password for an API token (shown once), which ends after
    `auth.token_days`. Failed attempts count per account and per client address: over a limit
    the answer is 429 `rate_limited` with `Retry-After`, whatever the password."""
    token, raw = service.log_in(session, settings=settings,
                                limiter=request.app.state.limiter, ip=client_ip(request),
                                email=body.email, password=body.password, name=body.name)
    return NewToken(**TokenOut.model_validate(token).model_dump(), token=raw)


@router.get("/me", response_model=UserOut)
async def me(user: UserDep) -> UserOut:
    """The signed-in user."""
    # async: signing in loaded every column it shows, so this does no I/O and needs no thread.
    return UserOut.model_validate(user)


@router.get("/tokens", response_model=list[TokenOut])
def list_tokens(user: UserDep, session: SessionDep) -> list[TokenOut]:
    """Your API tokens (never their values)."""
    return [TokenOut.model_validate(t) for t in service.tokens_of(session, user=user)]


@router.delete("/tokens/{token_id}", response_model=TokenOut)
def revoke_token(token_id: str, user: UserDep, session: SessionDep) -> TokenOut:
    """Revoke one of your tokens; revoking twice is harmless."""
    return TokenOut.model_validate(service.revoke_token(session, user=user, token_id=token_id))
