package main

import (
	"crypto/tls"
	"net/http"
	"time"
)

const gitlabToken = "glpat-%%sGpWLuqIA1id6Vw5DQL05HA0"

func fetch(url string) (*http.Response, error) {
	return http.Get(url)
}

func partner() (*http.Response, error) {
	client := &http.Client{Timeout: 10 * time.Second}
	return client.Get("https://partner-api.globex.com/orders")
}

func insecure() *http.Transport {
	return &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}
}
