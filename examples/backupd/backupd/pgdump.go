package backupd

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

const dumpFile = "database.pgdump"

// tool locates a PostgreSQL client binary.
func (s *Server) tool(name string) (string, error) {
	path := s.cfg.PgDump
	if name == "pg_restore" {
		path = s.cfg.PgRestore
	}
	if path == "" {
		path = name
	}
	return exec.LookPath(path)
}

// run runs a client binary and folds its stderr into the error.
func run(ctx context.Context, bin string, args ...string) error {
	cmd := exec.CommandContext(ctx, bin, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if len(msg) > 2000 {
			msg = msg[:2000] + "…"
		}
		return fmt.Errorf("%s failed: %v: %s", filepath.Base(bin), err, msg)
	}
	return nil
}

// pgDump runs pg_dump -Fc on the exported snapshot, so the dump holds the
// same data the API accepted, and records the row counts from the snapshot.
func (s *Server) pgDump(ctx context.Context, snap *snapshot, dir string, compress bool, c *codec, m *manifest) error {
	bin, err := s.tool("pg_dump")
	if err != nil {
		return fmt.Errorf("pg_dump not found - PostgreSQL client required (apt-get install postgresql-client): %w", err)
	}
	level := "0"
	if compress {
		level = "6"
	}
	tmp := filepath.Join(dir, dumpFile+".tmp")
	defer os.Remove(tmp)
	if err := run(ctx, bin, "--format=custom", "--compress="+level, "--no-owner", "--no-privileges",
		"--snapshot="+snap.exported, "--file="+tmp, "--dbname="+s.cfg.DatabaseURL); err != nil {
		return err
	}
	for _, t := range snap.tables {
		n, err := countRows(ctx, snap.tx, s.dialect, s.cfg.Schema, t.Name)
		if err != nil {
			return fmt.Errorf("count rows of %s: %w", t.Name, err)
		}
		m.Backup.Tables = append(m.Backup.Tables, TableInfo{Name: t.Name, Rows: n})
	}
	data, err := os.ReadFile(tmp)
	if err != nil {
		return fmt.Errorf("read dump: %w", err)
	}
	name := dumpFile + c.suffix()
	enc, err := c.encode(name, data)
	if err != nil {
		return fmt.Errorf("encrypt dump: %w", err)
	}
	f, err := writeFile(dir, name, enc, 0)
	if err != nil {
		return fmt.Errorf("write dump: %w", err)
	}
	m.Dump = &f
	return nil
}

// plainDump writes the decoded dump of rec to a temporary file for
// pg_restore and returns its path and a cleanup function.
func plainDump(rec *backupRecord, c *codec) (string, func(), error) {
	data, err := readChecked(rec.dir, *rec.m.Dump)
	if err != nil {
		return "", nil, err
	}
	plain, err := c.decode(rec.m.Dump.Path, data)
	if err != nil {
		return "", nil, err
	}
	if c.aead == nil {
		return filepath.Join(rec.dir, rec.m.Dump.Path), func() {}, nil
	}
	f, err := os.CreateTemp("", "backupd-restore-*.pgdump")
	if err != nil {
		return "", nil, err
	}
	name := f.Name()
	cleanup := func() { os.Remove(name) }
	if _, err := f.Write(plain); err != nil {
		f.Close()
		cleanup()
		return "", nil, err
	}
	if err := f.Close(); err != nil {
		cleanup()
		return "", nil, err
	}
	return name, cleanup, nil
}

// pgRestore replaces the database with the dump: pg_restore --clean
// --if-exists in a single transaction, so a failure leaves it unchanged.
func (s *Server) pgRestore(ctx context.Context, rec *backupRecord, c *codec) error {
	bin, err := s.tool("pg_restore")
	if err != nil {
		return fmt.Errorf("pg_restore not found - PostgreSQL client required (apt-get install postgresql-client): %w", err)
	}
	path, cleanup, err := plainDump(rec, c)
	if err != nil {
		return err
	}
	defer cleanup()
	return run(ctx, bin, "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
		"--exit-on-error", "--dbname="+s.cfg.DatabaseURL, path)
}

// pgRestoreList checks that pg_restore can read a dump's table of contents;
// without pg_restore on PATH the "PGDMP" header check stands alone.
func (s *Server) pgRestoreList(plain []byte) error {
	bin, err := s.tool("pg_restore")
	if err != nil {
		return nil
	}
	f, err := os.CreateTemp("", "backupd-verify-*.pgdump")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(plain); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := run(s.ctx, bin, "--list", f.Name()); err != nil {
		return fmt.Errorf("%s: not readable by pg_restore: %v", dumpFile, err)
	}
	return nil
}
