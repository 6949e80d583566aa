// Count the words of a page without leaving it: send the URL to /start, which
// answers the id of the queued job, then ask /results/<id> (soon, then every second) until
// the worker has finished (200) or failed (an error status).
// Without JavaScript, the form posts to / and the server does the same.
'use strict';

const form = document.getElementById('url-form');
const outcome = document.getElementById('outcome');
// Ask soon (most pages are counted in a fraction of a second), then less often.
const FIRST_POLL_MS = 200;
const POLL_MS = 1000;
// The job whose outcome the page is about. A poll of any other job (the one
// of the address the page was opened at, before a new submit) stops without
// touching the page, so that an older job can never replace a newer outcome.
let currentJob = null;

// Show one paragraph (a status, or an error) in place of what was there.
function say(text, isError) {
  const p = document.createElement('p');
  p.textContent = text;
  if (isError) {
    p.className = 'error';
    p.setAttribute('role', 'alert');
  } else {
    p.id = 'status';
  }
  outcome.replaceChildren(p);
}

// The table of [word, count] pairs, with a bar for each count.
function showWords(pairs) {
  if (pairs.length === 0) {
    say('Every word on that page is a stop word.');
    return;
  }
  const heading = document.createElement('h2');
  heading.textContent = 'Most frequent words';
  const table = document.createElement('table');
  table.createTHead().insertRow().append(...['Word', 'Count', 'Chart'].map((title) => {
    const th = document.createElement('th');
    th.textContent = title;
    return th;
  }));
  const body = table.createTBody();
  const most = pairs[0][1];
  for (const [word, count] of pairs) {
    const row = body.insertRow();
    row.insertCell().textContent = word;
    row.insertCell().textContent = count;
    const cell = row.insertCell();
    cell.className = 'bar';
    const bar = document.createElement('span');
    bar.style.width = (100 * count / most).toFixed(1) + '%';
    cell.append(bar);
  }
  outcome.replaceChildren(heading, table);
}

// The error message of a JSON answer, or a general one.
async function errorOf(response) {
  try {
    return (await response.json()).error || 'Something went wrong (' + response.status + ').';
  } catch {
    return 'Something went wrong (' + response.status + ').';
  }
}

async function poll(jobId) {
  currentJob = jobId;
  const superseded = () => jobId !== currentJob;
  let wait = FIRST_POLL_MS;
  for (;;) {
    let response;
    try {
      response = await fetch('/results/' + encodeURIComponent(jobId));
    } catch {
      if (!superseded()) say('The server cannot be reached. Please try again.', true);
      return;
    }
    if (superseded()) return;
    if (response.status === 200) {
      const pairs = await response.json();
      if (!superseded()) showWords(pairs);
      return;
    }
    if (response.status !== 202) {
      const message = await errorOf(response);
      if (!superseded()) say(message, true);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, wait));
    wait = Math.min(wait * 2, POLL_MS);
  }
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  currentJob = null; // from now on, the page is about the job this submit starts
  const button = form.querySelector('button');
  button.disabled = true;
  say('Counting the words…');
  try {
    const response = await fetch('/start', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ url: form.elements.url.value.trim() }),
    });
    if (response.status !== 200) {
      say(await errorOf(response), true);
      return;
    }
    const jobId = await response.text();
    // The address now names the job: a reload shows its outcome.
    history.replaceState(null, '', '/?job=' + encodeURIComponent(jobId));
    await poll(jobId);
  } catch {
    say('The server cannot be reached. Please try again.', true);
  } finally {
    button.disabled = false;
  }
});

// A page opened at /?job=<id> while the job runs: keep polling here rather
// than reloading.
if (outcome.dataset.job && document.getElementById('status')) {
  poll(outcome.dataset.job);
}
