"""Bounded work for bounded input: request bodies have a size limit; a long URL is not sent back."""

import urllib.error
import urllib.request

import checkpoint


def post_to(url, body, content_type):
    """POST body to url; returns (status, answer body)."""
    request = urllib.request.Request(url, data=body, headers={'Content-Type': content_type})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_a_body_over_the_size_limit_gets_a_short_413_from_gunicorn(serve_procfile, part_env):
    proc, base_url = serve_procfile('web', **part_env)
    assert checkpoint.wait_for_http(base_url + '/', proc=proc) == 200
    url = 'http://example.com/' + 'a' * 1_000_000
    status, answer = post_to(base_url + '/', b'url=' + url.encode(), 'application/x-www-form-urlencoded')
    assert status == 413
    assert len(answer) < 1000
    # The web process is still there and answers the next request.
    assert checkpoint.wait_for_http(base_url + '/', proc=proc) == 200


def test_a_rejected_long_url_is_not_sent_back_whole(client):
    # Under the size limit, but longer than any URL that is fetched.
    url = 'http://example.com/' + 'a' * 10_000
    response = client.post('/', data={'url': url})
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert url not in body
    assert len(body) < 8000
