"""Reading the word-count page the app answers with (parts 3 and 4)."""

from bs4 import BeautifulSoup


def word_table(response):
    """The Word/Count table of the page as [(word, count), ...]."""
    soup = BeautifulSoup(response.get_data(as_text=True), 'html.parser')
    return [(tr('td')[0].get_text(), int(tr('td')[1].get_text())) for tr in soup.select('table tbody tr')]


def error_messages(response):
    soup = BeautifulSoup(response.get_data(as_text=True), 'html.parser')
    return [p.get_text() for p in soup.select('p.error')]
