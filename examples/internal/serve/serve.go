// Package serve runs an example service's HTTP handler from its main
// program: listen, announce the URL, serve until SIGINT or SIGTERM, shut
// down gracefully.
package serve

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// Run listens on addr and serves h until the process is interrupted.
// announce receives the base URL ("http://127.0.0.1:PORT"; a wildcard
// listener is announced on loopback) once requests are accepted. Signals are
// caught before the announcement: a supervisor may send SIGTERM as soon as
// it has read the line.
func Run(addr string, h http.Handler, announce func(baseURL string)) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (is the port in use? try --addr 127.0.0.1:0)", addr, err)
	}
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	announce("http://" + net.JoinHostPort(host, port))
	select {
	case <-ctx.Done():
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("serve: %w", err)
		}
		return nil
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil {
		hs.Close()
	}
	return nil
}
