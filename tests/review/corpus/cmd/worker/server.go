package main

import (
	"net/http"
	"time"
)

func serve(handler http.Handler) error {
	srv := &http.Server{Addr: ":8080", Handler: handler, ReadTimeout: 5 * time.Second}
	return srv.ListenAndServe()
}
