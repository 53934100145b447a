// Checkout widget.
const stripeKey = "sk_live_%%rESQedUStPKR0CsTy4Qwb8Dw";
const firebaseConfig = { apiKey: "AIza%%8HxjSI6bWHtP3fS2qHx6kwXoIIXGvOoNZYW", projectId: "shop-prod" };
const API_BASE = "https://api.shopfront.io/v2";

export async function loadOrders() {
  const response = await fetch(API_BASE + "/orders");
  return response.json();
}

export async function exportAll() {
  return fetch(API_BASE + "/export", { signal: AbortSignal.timeout(600000) });
}
