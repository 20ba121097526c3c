// Command demo is `make demo`: it starts the local backup service over a
// seeded SQLite database, runs the backup-and-restore workflow with the
// arazzo CLI, changes the data while the backup completes, and shows that
// the restore brought back exactly the backed-up rows.
//
//	go run ./examples/demo [--arazzo bin/arazzo]
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"time"

	"github.com/go-arazzo/arazzo/examples/backupd/backupd"
)

const (
	published = "workflows/arazzo/prisma-postgres-backup-and-restore.arazzo.yaml"
	robust    = "workflows/arazzo/prisma-postgres-backup-and-restore-robust.arazzo.yaml"
)

func main() {
	bin := flag.String("arazzo", "bin/arazzo", "the arazzo CLI binary (built with `make build`)")
	flag.Parse()
	log.SetFlags(0)
	if err := run(*bin); err != nil {
		log.Fatalf("demo failed: %v", err)
	}
}

func run(bin string) error {
	ctx := context.Background()
	if _, err := os.Stat(bin); err != nil {
		fmt.Println("building the CLI …")
		if out, err := exec.Command("go", "build", "-o", bin, "./cmd/arazzo").CombinedOutput(); err != nil {
			return fmt.Errorf("go build: %v\n%s", err, out)
		}
	}

	var srv *backupd.Server
	changed := make(chan error, 1)
	srv, err := backupd.New(backupd.Config{
		BackupDelay:  2 * time.Second,
		RestoreDelay: time.Second,
		// Change the data once the backup holds it, before the workflow
		// can see the backup completed and restore it.
		OnBackupWritten: func(string) { changed <- changeData(ctx, srv.DB()) },
	})
	if err != nil {
		return err
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go hs.Serve(ln)
	defer hs.Close()
	base := "http://" + ln.Addr().String() + "/v1"

	section("1. A seeded SQLite database behind the local backup service (" + base + ")")
	before, err := snapshot(ctx, srv.DB())
	if err != nil {
		return err
	}
	printCustomers(before)

	section("2. The published workflow, validated: it polls once and has no retry")
	cli(bin, "validate", published)

	section("3. The robust variant, run with live progress (the data is changed while the backup completes)")
	cmd := exec.Command(bin, "run", robust,
		"--server", "postgresManagementApi="+base,
		"--input", "databaseId="+srv.DatabaseID(),
		"--input", "backupLabel=before-demo-change")
	// The token comes from the environment, as it would in CI.
	cmd.Env = append(os.Environ(), "ARAZZO_INPUT_APITOKEN="+srv.Token())
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	runErr := cmd.Run()
	select {
	case err := <-changed:
		if err != nil {
			return fmt.Errorf("changing the data: %w", err)
		}
	default:
		return errors.New("the backup never completed, so the data was not changed")
	}
	if runErr != nil {
		return fmt.Errorf("arazzo run: %w", runErr)
	}

	section("4. After the restore")
	after, err := snapshot(ctx, srv.DB())
	if err != nil {
		return err
	}
	printCustomers(after)
	rows := 0
	for _, t := range backupd.DemoTables {
		if !reflect.DeepEqual(before[t], after[t]) {
			return fmt.Errorf("table %s differs from the backed-up rows after the restore", t)
		}
		rows += len(after[t])
	}
	fmt.Printf("\n✔ the restore brought back exactly the backed-up rows: %d tables, %d rows equal to the state before the change\n", len(backupd.DemoTables), rows)
	return nil
}

// changeData updates, deletes and inserts rows, so that a restore has
// something to undo; it prints the customers table afterwards.
func changeData(ctx context.Context, db *sql.DB) error {
	stmts := []string{
		`UPDATE customers SET name = 'CHANGED AFTER BACKUP' WHERE id = 1`,
		`DELETE FROM order_items WHERE order_id = (SELECT MIN(id) FROM orders)`,
		`DELETE FROM orders WHERE id = (SELECT MIN(id) FROM orders)`,
		`INSERT INTO customers (email, name, created_at) VALUES ('intruder@example.com', 'Added after backup', '2026-01-01T00:00:00Z')`,
	}
	for _, s := range stmts {
		if _, err := db.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	snap, err := snapshot(ctx, db)
	if err != nil {
		return err
	}
	fmt.Println("\n    [demo] the backup holds the data; now changing it: 1 customer renamed, 1 order deleted, 1 customer added")
	printCustomersIndented(snap, "    [demo] ")
	fmt.Println()
	return nil
}

func snapshot(ctx context.Context, db *sql.DB) (map[string][]map[string]any, error) {
	out := map[string][]map[string]any{}
	for _, t := range backupd.DemoTables {
		rows, err := backupd.DumpTable(ctx, db, t)
		if err != nil {
			return nil, err
		}
		out[t] = rows
	}
	return out, nil
}

func printCustomers(s map[string][]map[string]any) { printCustomersIndented(s, "") }

func printCustomersIndented(s map[string][]map[string]any, prefix string) {
	fmt.Printf("%scustomers (first three and last):\n", prefix)
	rows := s["customers"]
	for i, r := range rows {
		if i == 3 && i < len(rows)-1 {
			fmt.Printf("%s  ...\n", prefix)
		}
		if i < 3 || i == len(rows)-1 {
			fmt.Printf("%s  %3v  %-26v %v\n", prefix, r["id"], r["name"], r["email"])
		}
	}
	counts := make([]string, 0, len(backupd.DemoTables))
	for _, t := range backupd.DemoTables {
		counts = append(counts, fmt.Sprintf("%s=%d", t, len(s[t])))
	}
	fmt.Printf("%srows: %s\n", prefix, strings.Join(counts, " "))
}

func section(title string) {
	fmt.Printf("\n== %s\n", title)
}

func cli(bin string, args ...string) {
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	_ = cmd.Run() // validate's exit status is shown by its own output
}
