from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from sparkcodes.ad.schemas import to_micros
from sparkcodes.business.auth import BusinessOperate, BusinessRead
from sparkcodes.contract import service
from sparkcodes.contract.presenters import contract_out
from sparkcodes.contract.schemas import ContractIn, ContractOut
from sparkcodes.deps import SessionDep, UserDep
from sparkcodes.kit.clock import utc_now
from sparkcodes.kit.pagination import Page, Paged

router = APIRouter(prefix="/v1", tags=["contracts"])


@router.post("/businesses/{business_id}/contracts", response_model=ContractOut, status_code=201)
def create_contract(business_id: str, access: BusinessOperate, body: ContractIn, user: UserDep,
                    session: SessionDep) -> ContractOut:
    """Record an agreed usage window with a creator, for one post or all of theirs (R26).

    The tracker flags codes that end before it and ads still running after it. Operators and
    admins."""
    business = access.business
    contract, creator, post = service.create(
        session, user=user, business=business, creator_id=body.creator_id,
        post_id=body.post_id, starts_at=body.starts_at, ends_at=body.ends_at,
        fee_micros=to_micros(body.fee), notes=body.notes)
    return contract_out(contract, creator, post, utc_now())


@router.get("/businesses/{business_id}/contracts", response_model=Paged[ContractOut])
def list_contracts(business_id: str, access: BusinessRead, session: SessionDep,
                   page: Annotated[Page, Depends(Page.dep)],
                   creator_id: Annotated[str | None, Query(max_length=32)] = None,
                   post_id: Annotated[str | None, Query(max_length=32)] = None,
                   include_deleted: bool = False) -> Paged[ContractOut]:
    """The business's contracts, latest-ending first."""
    business = access.business
    rows, total = service.of_business(session, business=business, creator_id=creator_id,
                                      post_id=post_id, include_deleted=include_deleted,
                                      limit=page.limit, offset=page.offset)
    now = utc_now()
    return Paged[ContractOut](items=[contract_out(c, cr, p, now) for c, cr, p in rows],
                              total=total, limit=page.limit, offset=page.offset)


@router.delete("/contracts/{contract_id}", response_model=ContractOut)
def delete_contract(contract_id: str, user: UserDep, session: SessionDep) -> ContractOut:
    """Delete a contract (kept for the record); deleting twice is harmless. Operators and
    admins."""
    contract, business = service.get(session, user=user, contract_id=contract_id,
                                     action="operate")
    contract = service.delete(session, user=user, business=business, contract=contract)
    creator, post = service.parties(session, contract=contract)
    return contract_out(contract, creator, post, utc_now())
