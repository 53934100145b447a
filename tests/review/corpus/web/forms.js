// Sign-in form.
const URL_PATTERN = /https?:\/\/[^\s]+/;

export function readForm() {
  const password = document.getElementById("password").value;
  const token = window.localStorage.getItem("token");
  return { password, token };
}

export function later(fn) {
  setTimeout(fn, 600000);
}

export async function submit(config, body) {
  return fetch(config.loginUrl, { method: "POST", body, signal: AbortSignal.timeout(8000) });
}
