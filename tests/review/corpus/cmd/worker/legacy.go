package main

import "net/http"

const legacyEndpoint = "http://192.168.1.50:9000/jobs"

func legacyClient() *http.Client {
	return &http.Client{}
}
