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
	"flag"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/go-arazzo/arazzo/examples/backupd/backupd"
	"github.com/go-arazzo/arazzo/examples/internal/serve"
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
	srv, err := backupd.New(cfg)
	if err != nil {
		return err
	}
	defer srv.Close()
	err = serve.Run(*addr, srv.Handler(), func(base string) {
		fmt.Printf("backupd listening on %s/v1\n", base)
		cfg.Logger.Info("serving", "database", srv.DatabaseID(), "engine", srv.Dialect(), "openapi", base+"/openapi.json")
	})
	cfg.Logger.Info("stopped")
	return err
}
