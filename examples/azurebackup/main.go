// Command azurebackup serves a stand-in for the Azure Data Protection
// restore API (see package azurebackup) until interrupted.
//
//	go run ./examples/azurebackup --addr 127.0.0.1:0 --token demo-token --target-dir ./restored
//
// It prints "azurebackup listening on http://HOST:PORT" once it accepts
// requests.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/go-arazzo/arazzo/examples/azurebackup/azurebackup"
	"github.com/go-arazzo/arazzo/examples/internal/serve"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "azurebackup:", err)
		os.Exit(1)
	}
}

func run() error {
	var cfg azurebackup.Config
	addr := flag.String("addr", "127.0.0.1:8443", "listen address (port 0 picks a free port)")
	flag.StringVar(&cfg.Token, "token", envOr("AZURE_TOKEN", "demo-token"), "bearer token clients must send (default $AZURE_TOKEN or demo-token)")
	flag.StringVar(&cfg.TargetDir, "target-dir", "", "directory restored files are written to (default: a temporary directory removed on exit)")
	flag.StringVar(&cfg.SubscriptionID, "subscription", "", "subscription id served (default e3d2d341-4ddb-4c5d-9121-69b7e719485e)")
	flag.StringVar(&cfg.ResourceGroup, "resource-group", "", "resource group served (default TestBkpVaultRG)")
	flag.StringVar(&cfg.VaultName, "vault", "", "backup vault served (default testBkpVault)")
	flag.StringVar(&cfg.BackupInstance, "backup-instance", "", "backup instance served (default pgflextestserver-857d23b1-c679-4c94-ade6-c4d34635e149)")
	flag.StringVar(&cfg.Location, "location", "", "vault location (default westus)")
	flag.IntVar(&cfg.RecoveryPoints, "recovery-points", 5, "number of recovery points")
	flag.IntVar(&cfg.PageSize, "page-size", 2, "recovery points per page")
	flag.DurationVar(&cfg.RetryAfter, "retry-after", time.Second, "Retry-After sent on 202s and in-progress polls (whole seconds)")
	flag.IntVar(&cfg.OperationPolls, "operation-polls", 2, "polls a long-running operation answers InProgress before finishing")
	flag.DurationVar(&cfg.OperationDelay, "operation-delay", 0, "minimum time before a long-running operation finishes")
	flag.IntVar(&cfg.JobPolls, "job-polls", 2, "polls a restore job answers InProgress before finishing")
	flag.DurationVar(&cfg.JobDelay, "job-delay", 0, "minimum time before a restore job finishes")
	flag.Parse()

	srv, err := azurebackup.New(cfg)
	if err != nil {
		return err
	}
	defer srv.Close()
	return serve.Run(*addr, srv.Handler(), func(base string) {
		fmt.Printf("azurebackup listening on %s\n", base)
		log.Printf("azurebackup: restoring into %s", srv.TargetDir())
	})
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
