package main

import (
	"crypto/tls"
	"net/http"
)

var dsn = "postgres://payments:Pq9$wLm2Rt@10.0.7.3:5432/payments"

const userAgent = "acme-bot/1.0 (+https://acme-corp.com/bot)"

func newClient() *http.Client {
	tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}
	client := &http.Client{Transport: tr}
	return client
}
