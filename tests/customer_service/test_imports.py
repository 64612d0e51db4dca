"""CSV imports of customers and contacts with their rejection reports."""

import uuid
from typing import Any

import httpx

from tests.customer_service.conftest import unique_domain
from tests.support.servers import wait_until

CSV = {"content-type": "text/csv"}


async def test_customer_import_reports_rejected_rows(api: httpx.AsyncClient) -> None:
    taken = unique_domain("taken")
    await api.post("/customers", json={"name": "Holder", "domains": [taken]})
    good = unique_domain("good")
    body = "\n".join(
        [
            "name,tier,domains,owner,include_subdomains",
            f"Good One,Premium,{good};eu.{good},alice,true",
            ",Standard,,,",
            "Bad Tier,Gold,,,",
            f"Clash,Standard,{taken},,",
            "Bad Flag,Free,,,maybe",
            "Plain,,,,",
        ]
    )

    response = await api.post("/imports/customers", content=body, headers=CSV)

    assert response.status_code == 201, response.text
    report = response.json()
    assert report["status"] == "done"
    assert (report["total_rows"], report["rows_done"], report["inserted"]) == (6, 6, 2)
    assert [(r["line"], r["reason"].split()[0]) for r in report["rejected"]] == [
        (3, "name"),
        (4, "tier"),
        (5, "domain"),
        (6, "include_subdomains"),
    ]
    found = (await api.get("/customers", params={"q": good})).json()
    assert [c["domains"] for c in found] == [sorted([good, f"eu.{good}"])]
    assert found[0]["include_subdomains"] is True


async def test_contact_import_reports_rejected_rows(api: httpx.AsyncClient) -> None:
    domain = unique_domain("people")
    customer = (await api.post("/customers", json={"name": "Employer"})).json()
    body = "\n".join(
        [
            "name,emails,phones,customer_id",
            f"Ann,Ann@{domain};ann.b@{domain},+1 555 0101,{customer['id']}",
            f"Dup,ANN@{domain},,",
            "Nobody,,,",
            "Broken,not-an-address,,",
            f"Ghost,ghost@{domain},,{uuid.uuid4()}",
            f'"Lee, Bo",bo@{domain},,',
        ]
    )

    response = await api.post("/imports/contacts", content=body, headers=CSV)

    report = response.json()
    assert report["inserted"] == 2
    assert [r["line"] for r in report["rejected"]] == [3, 4, 5, 6]
    ann = (await api.get("/contacts", params={"email": f"ann.b@{domain}"})).json()
    assert ann[0]["emails"] == [f"ann.b@{domain}", f"ann@{domain}"]
    assert ann[0]["customer_id"] == customer["id"]


async def test_import_rejects_unknown_columns(api: httpx.AsyncClient) -> None:
    response = await api.post("/imports/contacts", content="email,fax\na@b.test,1\n", headers=CSV)

    assert response.status_code == 400


async def test_import_requires_csv_media_type(api: httpx.AsyncClient) -> None:
    response = await api.post("/imports/contacts", json={"emails": "a@b.test"})

    assert response.status_code == 415


async def test_large_import_runs_in_background(api: httpx.AsyncClient) -> None:
    domain = unique_domain("bulk")
    lines = ["name,emails"] + [f"Person {i},person{i}@{domain}" for i in range(1200)]
    lines.append(f"Repeat,person0@{domain}")

    response = await api.post("/imports/contacts", content="\n".join(lines), headers=CSV)

    assert response.status_code == 202, response.text
    started = response.json()
    assert started["total_rows"] == 1201
    assert response.headers["location"].endswith(f"/imports/{started['id']}")

    async def finished() -> dict[str, Any] | None:
        report: dict[str, Any] = (await api.get(f"/imports/{started['id']}")).json()
        return report if report["status"] != "running" else None

    report = await wait_until(finished, timeout=30)
    assert report["status"] == "done"
    assert report["rows_done"] == 1201
    assert report["inserted"] == 1200
    assert report["rejected"] == [
        {"line": 1202, "reason": report["rejected"][0]["reason"]},
    ]
    assert "already belongs" in report["rejected"][0]["reason"]
