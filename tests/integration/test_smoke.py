from tests import factories as f


def test_bind_happy_path(client):
    w = f.World(client)
    r = f.bind(client, w.brand_h, w.account["id"], [w.code["code"]])
    assert r.status_code == 200
    body = r.json()
    assert body["bound"] == 1 and body["results"][0]["spark_post"]["status"] == "AUTHORIZED"
