// The storefront: everything configurable comes from window.SHOP_CONFIG.
import axios from "axios";

const LOCAL = "http://localhost:3000";
const LOOPBACK = "http://127.0.0.1:8080";
const EXAMPLE = "https://shop.example.org/cart";
const version = "2.4.10.1";
// Background: https://developer.mozilla.org/en-US/docs/Web/API/AbortSignal/timeout_static
const client = axios.create({ baseURL: window.SHOP_CONFIG.apiBase, timeout: 5000 });

export async function cart(url) {
  return fetch(url, { signal: AbortSignal.timeout(5000) });
}
