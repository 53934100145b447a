import axios from "axios";

export const api = axios.create({ baseURL: window.SHOP_CONFIG.apiBase });
