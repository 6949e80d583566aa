"""Bad URLs and hostile pages, with the status and message the app must answer (parts 3 and 4)."""

# (url, status, part of the message): the visitor's mistake, refused before anything is fetched.
BAD_URLS = [
    ('', 400, 'Please enter the URL of a web page.'),
    ('   ', 400, 'Please enter the URL of a web page.'),
    ('example.com', 400, 'The URL must start with http:// or https://, for example https://example.com/'),
    ('file:///etc/passwd', 400, 'not "file:"'),
    ('FILE:///etc/passwd', 400, 'not "file:"'),
    ('ftp://ftp.example.com/', 400, 'not "ftp:"'),
    ('javascript:alert(1)', 400, 'not "javascript:"'),
    ('data:text/html,<p>words</p>', 400, 'not "data:"'),
    ('localhost:5000', 400, 'must start with http:// or https://'),
    ('http://', 400, 'That is not a valid URL.'),
    ('http:///path', 400, 'That is not a valid URL.'),
    ('http://exa mple.com/', 400, 'That is not a valid URL.'),
    ('http://exa\x00mple.com/', 400, 'That is not a valid URL.'),
    ('http://example.com/\x1b[31m', 400, 'That is not a valid URL.'),
    ('http://[::1/', 400, 'That is not a valid URL.'),
    ('http://127.0.0.1:99999/', 400, 'That is not a valid URL.'),
    ('http://127.0.0.1/' + 'a' * 3000, 400, 'That is not a valid URL.'),
]

# (path on the test page server, status, part of the message): the page cannot be counted.
HOSTILE_PAGES = [
    ('/plain.txt', 422, 'That is not an HTML page (its type is text/plain).'),
    ('/image.png', 422, 'That is not an HTML page (its type is image/png).'),
    ('/no-type', 422, 'That is not an HTML page (its type is not given).'),
    ('/status/204', 422, 'That is not an HTML page'),
    ('/no-words.html', 422, 'The page has no words to count.'),
    ('/empty.html', 422, 'The page has no words to count.'),
    ('/huge.html', 422, 'The page is larger than 5,242,880 bytes, the limit.'),
    ('/huge-declared.html', 422, 'The page is larger than 5,242,880 bytes, the limit.'),
    ('/gzip-bomb.html', 422, 'The page is larger than 5,242,880 bytes, the limit.'),
    ('/status/404', 502, 'the server answered 404 Not Found.'),
    ('/status/500', 502, 'the server answered 500 Internal Server Error.'),
    ('/bad-gzip.html', 502, 'The page could not be decompressed'),
    ('/loop-a', 502, 'The page redirects in a loop'),
    ('/chain/9', 502, 'The page redirected more than 5 times.'),
    ('/to-file', 502, 'The page redirected to a "file:" URL'),
    ('/redirect?to=http://%5Boops/', 502, 'The page redirected to an invalid URL.'),
    # Testing allows loopback only: other private addresses stay refused.
    (
        '/to-metadata',
        403,
        'Refusing to fetch 169.254.169.254: it is at 169.254.169.254, a link-local address.',
    ),
    ('/to-private', 403, 'Refusing to fetch 10.0.0.1: it is at 10.0.0.1, a private address.'),
]
