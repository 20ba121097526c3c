// Command backupd serves a local backup API with the shape of the Prisma
// Postgres Management API's backup endpoints, over a real database: an
// SQLite file (default) or PostgreSQL (--database-url).
//
//	go run ./examples/backupd --addr 127.0.0.1:0 [--database-url postgres://…] [--data-dir DIR] [--token T] [--backup-delay 2s]
//
// It prints "backupd listening on http://HOST:PORT/v1" on stdout (the only
// stdout line, for scripts), logs to stderr, and serves until SIGINT or
// SIGTERM. The API description is at http://HOST:PORT/openapi.json.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/go-arazzo/arazzo/examples/backupd/backupd"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "backupd:", err)
		os.Exit(1)
	}
}

func run() error {
	var cfg backupd.Config
	addr := flag.String("addr", "127.0.0.1:8080", "`host:port` to listen on (port 0 picks a free port)")
	flag.StringVar(&cfg.DatabaseURL, "database-url", os.Getenv("BACKUPD_DATABASE_URL"), "PostgreSQL `URL` (postgres://…); empty serves an SQLite file in the data directory (env BACKUPD_DATABASE_URL)")
	flag.StringVar(&cfg.DataDir, "data-dir", "", "`directory` for the SQLite file and the backups (default: a temporary directory removed on exit)")
	flag.StringVar(&cfg.Token, "token", backupd.DefaultToken, "bearer `token` clients must send")
	flag.StringVar(&cfg.DatabaseID, "database-id", backupd.DefaultDatabaseID, "database `id` in the API paths")
	flag.StringVar(&cfg.Passphrase, "passphrase", os.Getenv("BACKUPD_PASSPHRASE"), "default `passphrase` for encrypted backups (env BACKUPD_PASSPHRASE)")
	flag.IntVar(&cfg.PageSize, "page-size", backupd.DefaultPageSize, "rows per table file in JSON backups")
	flag.DurationVar(&cfg.BackupDelay, "backup-delay", 2*time.Second, "minimum `duration` a backup stays running")
	flag.DurationVar(&cfg.RestoreDelay, "restore-delay", time.Second, "`duration` a restore stays restoring before it touches the data")
	flag.BoolVar(&cfg.NoSeed, "no-seed", false, "do not create and seed the demo tables in an empty database")
	flag.Parse()
	if flag.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q (all options are flags; see -h)", flag.Args())
	}
	cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	// Catch signals before announcing the address: a supervisor may send
	// SIGTERM as soon as it has read the line.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	srv, err := backupd.New(cfg)
	if err != nil {
		return err
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (is the port in use? try --addr 127.0.0.1:0)", *addr, err)
	}
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1" // a wildcard listener is reachable on loopback
	}
	base := "http://" + net.JoinHostPort(host, port) + "/v1"
	fmt.Printf("backupd listening on %s\n", base)
	cfg.Logger.Info("serving", "database", srv.DatabaseID(), "engine", srv.Dialect(), "openapi", "http://"+net.JoinHostPort(host, port)+"/openapi.json")

	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case <-ctx.Done():
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("serve: %w", err)
		}
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil {
		hs.Close()
	}
	cfg.Logger.Info("stopped")
	return nil
}
