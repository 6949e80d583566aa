"""The two hello routes of parts 1 and 2."""

import pytest

from shared.differences import assert_status


@pytest.fixture
def client(load_app, part_env):
    return load_app(**part_env).app.test_client()


def test_index_says_hello_world(client):
    response = client.get('/')
    assert_status(response, 200, 'GET / is the page that says hello')
    assert response.get_data(as_text=True) == 'Hello World!'


@pytest.mark.parametrize(
    'name, shown',
    [
        ('Ada', 'Hello Ada!'),
        ('J%C3%BCrgen', 'Hello Jürgen!'),
        ('a%20b', 'Hello a b!'),
    ],
)
def test_hello_name_greets_by_name(client, name, shown):
    response = client.get('/' + name)
    assert_status(response, 200, 'GET /<name> greets any name')
    assert response.get_data(as_text=True) == shown


@pytest.mark.parametrize(
    'path, shown',
    [
        ('/<script>alert(1)', 'Hello &lt;script&gt;alert(1)!'),
        ('/%3Cimg%20src=x%20onerror=alert(1)%3E', 'Hello &lt;img src=x onerror=alert(1)&gt;!'),
        ('/%22%27%26', 'Hello &#34;&#39;&amp;!'),
    ],
)
def test_hello_name_escapes_html(client, path, shown):
    response = client.get(path)
    assert_status(response, 200, 'a name with HTML in it is greeted too, as text')
    body = response.get_data(as_text=True)
    assert body == shown
    assert '<' not in body


def test_a_very_long_name_is_answered(client):
    response = client.get('/' + 'x' * 5000)
    assert_status(response, 200, 'a long name is greeted too')
    assert response.get_data(as_text=True) == 'Hello {}!'.format('x' * 5000)


@pytest.mark.parametrize('path', ['/a/b', '/a%2Fb/c'])
def test_a_path_with_a_slash_is_not_found(client, path):
    assert_status(client.get(path), 404, 'a name has no slash in it: such a path names no page')


def test_post_is_not_allowed(client):
    assert_status(client.post('/'), 405, 'the hello routes answer GET only')
