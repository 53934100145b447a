import axios from "axios";
import { config } from "./config";

export const http = axios.create({
  baseURL: config.apiUrl,
  timeout: 0,
});

export function download(path: string) {
  return fetch(`${config.apiUrl}/download/${path}`);
}

const hash = "d41d8cd98f00b204e9800998ecf8427e";
