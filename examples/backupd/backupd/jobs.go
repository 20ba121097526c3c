package backupd

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
)

// backupRequest is the createDatabaseBackup body, after validation.
type backupRequest struct {
	Label         *string `json:"label"`
	Reason        *string `json:"reason"`
	Method        *string `json:"method"`
	Compress      *bool   `json:"compress"`
	Compression   *bool   `json:"compression"` // the backup-manager skill's spelling
	Encrypt       *bool   `json:"encrypt"`
	Passphrase    *string `json:"passphrase"`
	RetentionDays *int    `json:"retentionDays"`
}

// apiError is an error with an HTTP status and a machine-readable code.
type apiError struct {
	status      int
	code        string
	msg         string
	suggestions []string
}

func (e *apiError) Error() string { return e.msg }

func errf(status int, code, format string, args ...any) *apiError {
	return &apiError{status: status, code: code, msg: fmt.Sprintf(format, args...)}
}

var nonSlug = regexp.MustCompile(`[^a-z0-9]+`)

// slug turns a label into the id suffix of backup-YYYYMMDD-HHMMSS-label.
func slug(label string) string {
	s := strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(label), "-"), "-")
	if len(s) > 48 {
		s = strings.TrimRight(s[:48], "-")
	}
	return s
}

// snapshot is an open read transaction fixing the data a backup copies.
type snapshot struct {
	tx     *sql.Tx
	tables []table
	// exported is the PostgreSQL snapshot id handed to pg_dump --snapshot.
	exported string
}

// openSnapshot starts the read transaction at accept time, so a backup
// holds the data as it was when the API answered 202, whatever is written
// afterwards.
func (s *Server) openSnapshot(method string) (*snapshot, error) {
	opts := &sql.TxOptions{ReadOnly: true}
	if s.dialect == Postgres {
		opts.Isolation = sql.LevelRepeatableRead
	}
	// The transaction outlives the request: it is bound to the server's
	// context so Close rolls it back.
	tx, err := s.db.BeginTx(s.ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("begin snapshot: %w", err)
	}
	snap := &snapshot{tx: tx}
	if method == MethodPgDump {
		if err := tx.QueryRowContext(s.ctx, `SELECT pg_export_snapshot()`).Scan(&snap.exported); err != nil {
			tx.Rollback()
			return nil, fmt.Errorf("export snapshot: %w", err)
		}
	}
	if snap.tables, err = loadTables(s.ctx, tx, s.dialect, s.cfg.Schema); err != nil {
		tx.Rollback()
		return nil, err
	}
	return snap, nil
}

// createBackup validates a request, fixes the snapshot and starts the
// backup in the background.
func (s *Server) createBackup(req backupRequest) (Backup, error) {
	method := MethodJSON
	if req.Method != nil && *req.Method != "" {
		method = *req.Method
	}
	switch method {
	case MethodJSON:
	case MethodPgDump:
		if s.dialect != Postgres {
			return Backup{}, errf(400, "method_unsupported", `method "pg_dump" needs a PostgreSQL database; this one is SQLite (use method "json")`)
		}
		if _, err := s.tool("pg_dump"); err != nil {
			e := errf(400, "method_unavailable", "pg_dump not found - PostgreSQL client required: %v", err)
			e.suggestions = []string{"Install PostgreSQL client: sudo apt-get install postgresql-client", `Or use method "json"`}
			return Backup{}, e
		}
	default:
		return Backup{}, errf(400, "invalid_request", `method must be "json" or "pg_dump", got %q`, method)
	}
	compress := (req.Compress != nil && *req.Compress) || (req.Compression != nil && *req.Compression)
	encrypt := req.Encrypt != nil && *req.Encrypt
	passphrase := s.cfg.Passphrase
	if req.Passphrase != nil && *req.Passphrase != "" {
		passphrase = *req.Passphrase
	}
	if encrypt && passphrase == "" {
		return Backup{}, errf(400, "passphrase_required", "encrypt is true but no passphrase was given (and the server has no default passphrase): add \"passphrase\" to the body")
	}
	if encrypt && len(passphrase) < 5 {
		return Backup{}, errf(400, "invalid_request", "passphrase must be at least 5 characters long")
	}
	retention := s.cfg.RetentionDays
	if req.RetentionDays != nil {
		if *req.RetentionDays < 1 || *req.RetentionDays > 3650 {
			return Backup{}, errf(400, "invalid_request", "retentionDays must be between 1 and 3650, got %d", *req.RetentionDays)
		}
		retention = *req.RetentionDays
	}
	var label, reason *string
	if req.Label != nil && *req.Label != "" {
		if len(*req.Label) > 200 {
			return Backup{}, errf(400, "invalid_request", "label is longer than 200 characters")
		}
		label = req.Label
	}
	if req.Reason != nil && *req.Reason != "" {
		reason = req.Reason
	}

	snap, err := s.openSnapshot(method)
	if err != nil {
		return Backup{}, errf(503, "database_unavailable", "cannot read the database for a backup: %v", err)
	}

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		snap.tx.Rollback()
		return Backup{}, errf(503, "shutting_down", "the server is shutting down")
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	base := "backup-" + now.Format("20060102-150405")
	if label != nil {
		if sl := slug(*label); sl != "" {
			base += "-" + sl
		}
	}
	id := base
	for n := 2; s.backups[id] != nil; n++ {
		id = fmt.Sprintf("%s-%d", base, n)
	}
	s.seq++
	rec := &backupRecord{seq: s.seq, dir: filepath.Join(s.dir, id), passphrase: passphrase}
	rec.b = Backup{ID: id, DatabaseID: s.cfg.DatabaseID, Type: "manual", Label: label, Reason: reason,
		Status: StatusRunning, Method: method, Compressed: compress, Encrypted: encrypt, RetentionDays: retention,
		CreatedAt: now, ExpiresAt: now.AddDate(0, 0, retention),
		Verification: Verification{Status: "unverified"}, Tables: []TableInfo{}}
	fail := s.faults.FailNextBackups > 0
	if fail {
		s.faults.FailNextBackups--
	}
	never := s.faults.NeverComplete
	s.backups[id] = rec
	out := rec.b
	s.wg.Add(1)
	s.mu.Unlock()

	go s.runBackup(rec, snap, fail, never)
	s.log.Info("backup accepted", "backup", id, "method", method, "compressed", compress, "encrypted", encrypt)
	return out, nil
}

// runBackup writes the archive, waits out BackupDelay and publishes the
// result.
func (s *Server) runBackup(rec *backupRecord, snap *snapshot, fail, never bool) {
	defer s.wg.Done()
	start := time.Now()
	s.mu.Lock()
	b := rec.b
	s.mu.Unlock()
	m, err := s.writeArchive(rec.dir, b, snap, rec.passphrase)
	snap.tx.Rollback()
	if err == nil && fail {
		err = errors.New("injected failure: the backup was made to fail by the server's fault injection (Faults.FailNextBackups)")
	}
	if never {
		<-s.ctx.Done()
		err = errors.New("the server shut down before the backup completed")
	} else if d := s.cfg.BackupDelay - time.Since(start); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-s.ctx.Done():
			t.Stop()
		}
	}
	if err == nil && s.ctx.Err() != nil {
		err = errors.New("the server shut down before the backup completed")
	}
	if err == nil && s.cfg.OnBackupWritten != nil {
		// Before the backup is reported completed, so a demo can change the
		// data between "backup done" and any restore a client starts.
		s.cfg.OnBackupWritten(rec.b.ID)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now().UTC().Truncate(time.Millisecond)
	rec.b.CompletedAt = &now
	if err != nil {
		rec.b.Status = StatusFailed
		rec.b.Error = err.Error()
		os.RemoveAll(rec.dir)
		s.log.Warn("backup failed", "backup", rec.b.ID, "err", err)
		return
	}
	rec.b.Status = StatusCompleted
	rec.b.SHA256 = sha256Hex(m.checksums())
	for _, f := range m.files() {
		rec.b.SizeBytes += f.SizeBytes
	}
	for _, t := range m.Tables {
		rec.b.Tables = append(rec.b.Tables, TableInfo{Name: t.Name, Rows: t.Rows})
	}
	if m.Dump != nil {
		rec.b.Tables = m.Backup.Tables
	}
	m.Backup = rec.b
	rec.m = m
	if err := s.saveManifestLocked(rec); err != nil {
		rec.b.Status = StatusFailed
		rec.b.Error = err.Error()
		rec.m = nil
		os.RemoveAll(rec.dir)
		return
	}
	s.log.Info("backup completed", "backup", rec.b.ID, "bytes", rec.b.SizeBytes)
}

// saveManifestLocked writes the manifest of rec; s.mu must be held.
func (s *Server) saveManifestLocked(rec *backupRecord) error {
	rec.m.Backup = rec.b
	if err := writeJSONAtomic(filepath.Join(rec.dir, manifestFile), rec.m); err != nil {
		return fmt.Errorf("write manifest of %s: %w", rec.b.ID, err)
	}
	return nil
}

func readManifest(dir string) (*manifest, error) {
	data, err := os.ReadFile(filepath.Join(dir, manifestFile))
	if err != nil {
		return nil, err
	}
	var m manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", manifestFile, err)
	}
	return &m, nil
}

// writeArchive copies the snapshot into dir.
func (s *Server) writeArchive(dir string, b Backup, snap *snapshot, passphrase string) (*manifest, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create backup folder: %w", err)
	}
	m := &manifest{Dialect: s.dialect}
	var key []byte
	if b.Encrypted {
		info, err := newEncryptionInfo(s.cfg.KDFIterations)
		if err != nil {
			return nil, err
		}
		if key, err = deriveKey(passphrase, info); err != nil {
			return nil, err
		}
		m.Encryption = info
	}
	c, err := newCodec(b.Compressed && b.Method == MethodJSON, key)
	if err != nil {
		return nil, err
	}
	if b.Method == MethodPgDump {
		m.Format = formatPgDump
		if err := s.pgDump(s.ctx, snap, dir, b.Compressed, c, m); err != nil {
			return nil, err
		}
	} else {
		m.Format = formatJSON
		m.PageSize = s.cfg.PageSize
		used := map[string]bool{}
		for _, t := range snap.tables {
			ta := tableArchive{Name: t.Name, Columns: []string{}}
			for _, col := range t.Columns {
				ta.Columns = append(ta.Columns, col.Name)
			}
			stem := safeFileName(t.Name)
			for n := 2; used[stem]; n++ {
				stem = fmt.Sprintf("%s-%d", safeFileName(t.Name), n)
			}
			used[stem] = true
			total, err := countRows(s.ctx, snap.tx, s.dialect, s.cfg.Schema, t.Name)
			if err != nil {
				return nil, fmt.Errorf("count rows of %s: %w", t.Name, err)
			}
			// At least one page, so an empty table still has its file.
			pages := max(1, int((total+int64(s.cfg.PageSize)-1)/int64(s.cfg.PageSize)))
			for page := 1; page <= pages; page++ {
				data, n, err := readPage(s.ctx, snap.tx, s.dialect, s.cfg.Schema, t, s.cfg.PageSize, (page-1)*s.cfg.PageSize)
				if err != nil {
					return nil, fmt.Errorf("read table %s: %w", t.Name, err)
				}
				name := fmt.Sprintf("%s.%04d.json%s", stem, page, c.suffix())
				enc, err := c.encode(name, data)
				if err != nil {
					return nil, fmt.Errorf("encode %s: %w", name, err)
				}
				f, err := writeFile(dir, name, enc, int64(n))
				if err != nil {
					return nil, fmt.Errorf("write %s: %w", name, err)
				}
				ta.Files = append(ta.Files, f)
				ta.Rows += int64(n)
			}
			m.Tables = append(m.Tables, ta)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, checksumsFile), m.checksums(), 0o600); err != nil {
		return nil, fmt.Errorf("write %s: %w", checksumsFile, err)
	}
	return m, nil
}

// codecFor returns the codec for reading rec's files; passphrase may be
// empty when the backup is not encrypted.
func (s *Server) codecFor(rec *backupRecord, passphrase string) (*codec, error) {
	var key []byte
	if rec.m.Encryption != nil {
		if passphrase == "" {
			return nil, errNeedPassphrase
		}
		var err error
		if key, err = deriveKey(passphrase, rec.m.Encryption); err != nil {
			return nil, err
		}
	}
	return newCodec(rec.b.Compressed && rec.b.Method == MethodJSON, key)
}

// passphraseFor picks the passphrase to read rec: the request's, the one
// the backup was made with (kept in memory), or the server's.
func (s *Server) passphraseFor(rec *backupRecord, given string) string {
	switch {
	case given != "":
		return given
	case rec.passphrase != "":
		return rec.passphrase
	}
	return s.cfg.Passphrase
}

// lookup returns the record of a backup, or a 404/409 error.
func (s *Server) lookupLocked(id string, wantCompleted bool) (*backupRecord, error) {
	rec := s.backups[id]
	if rec == nil {
		return nil, errf(404, "backup_not_found", "backup %q not found in database %q (list backups with GET /v1/databases/%s/backups)", id, s.cfg.DatabaseID, s.cfg.DatabaseID)
	}
	if wantCompleted && rec.b.Status != StatusCompleted {
		e := errf(409, "backup_not_ready", "backup %q is %s, not completed", id, rec.b.Status)
		if rec.b.Status == StatusRunning {
			e.suggestions = []string{"Poll GET /v1/databases/" + s.cfg.DatabaseID + "/backups until its status is completed"}
		}
		return nil, e
	}
	return rec, nil
}

// verifyBackup re-reads every file of a completed backup, recomputes the
// checksums and decodes the data, and records the result.
func (s *Server) verifyBackup(id, passphrase string) (Verification, error) {
	s.mu.Lock()
	rec, err := s.lookupLocked(id, true)
	s.mu.Unlock()
	if err != nil {
		return Verification{}, err
	}
	pass := s.passphraseFor(rec, passphrase)
	exists, checksum := true, true
	var readable *bool
	var problems []string
	c, cerr := s.codecFor(rec, pass)
	if cerr == nil {
		readable = new(bool)
		*readable = true
	}
	// The checksum list itself must hash to the recorded sha256.
	var sums strings.Builder
	for _, f := range rec.m.files() {
		data, err := os.ReadFile(filepath.Join(rec.dir, f.Path))
		if err != nil {
			exists, checksum = false, false
			problems = append(problems, fmt.Sprintf("%s: missing or unreadable: %v", f.Path, err))
			if readable != nil {
				*readable = false
			}
			continue
		}
		got := sha256Hex(data)
		fmt.Fprintf(&sums, "%s  %s\n", got, f.Path)
		if got != f.SHA256 {
			checksum = false
			problems = append(problems, fmt.Sprintf("%s: checksum mismatch (sha256 %s, manifest says %s): the file is corrupted", f.Path, got, f.SHA256))
		}
		if c == nil {
			continue
		}
		if err := s.checkReadable(rec, c, f, data); err != nil {
			*readable = false
			problems = append(problems, err.Error())
		}
	}
	if got := sha256Hex([]byte(sums.String())); checksum && got != rec.b.SHA256 {
		checksum = false
		problems = append(problems, fmt.Sprintf("backup checksum %s differs from the recorded %s", got, rec.b.SHA256))
	}
	if cerr != nil {
		problems = append(problems, "readability not checked: "+cerr.Error())
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	v := Verification{Status: "passed", VerifiedAt: &now, FileExists: &exists, FileReadable: readable, ChecksumValid: &checksum, Problems: problems}
	if !exists || !checksum || (readable != nil && !*readable) {
		v.Status = "failed"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.backups[id] == rec && rec.m != nil {
		rec.b.Verification = v
		if err := s.saveManifestLocked(rec); err != nil {
			s.log.Warn("cannot save verification", "backup", id, "err", err)
		}
	}
	return v, nil
}

// checkReadable decodes one data file and checks it holds what the manifest
// says.
func (s *Server) checkReadable(rec *backupRecord, c *codec, f fileEntry, data []byte) error {
	plain, err := c.decode(f.Path, data)
	if err != nil {
		return err
	}
	if rec.m.Dump != nil {
		if !strings.HasPrefix(string(plain), "PGDMP") {
			return fmt.Errorf("%s: not a pg_dump custom-format archive", f.Path)
		}
		return s.pgRestoreList(plain)
	}
	var rows []json.RawMessage
	if err := json.Unmarshal(plain, &rows); err != nil {
		return fmt.Errorf("%s: not a JSON array of rows: %v", f.Path, err)
	}
	if int64(len(rows)) != f.Rows {
		return fmt.Errorf("%s: holds %d rows, manifest says %d", f.Path, len(rows), f.Rows)
	}
	return nil
}

// deleteBackup removes a backup's files and forgets it.
func (s *Server) deleteBackup(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, err := s.lookupLocked(id, false)
	if err != nil {
		return err
	}
	if rec.b.Status == StatusRunning {
		return errf(409, "backup_running", "backup %q is still running; delete it once it has completed or failed", id)
	}
	for _, j := range s.pendingLocked() {
		if j.rec == rec {
			return errf(409, "backup_in_use", "backup %q is being restored; delete it after restore %s finishes", id, j.r.ID)
		}
	}
	if err := os.RemoveAll(rec.dir); err != nil {
		return errf(500, "delete_failed", "cannot remove the files of backup %q: %v", id, err)
	}
	delete(s.backups, id)
	s.log.Info("backup deleted", "backup", id)
	return nil
}

// listBackups returns the backups newest first.
func (s *Server) listBackups() []Backup {
	s.mu.Lock()
	defer s.mu.Unlock()
	recs := make([]*backupRecord, 0, len(s.backups))
	for _, r := range s.backups {
		recs = append(recs, r)
	}
	sort.Slice(recs, func(i, j int) bool {
		if !recs[i].b.CreatedAt.Equal(recs[j].b.CreatedAt) {
			return recs[i].b.CreatedAt.After(recs[j].b.CreatedAt)
		}
		return recs[i].seq > recs[j].seq
	})
	out := make([]Backup, len(recs))
	for i, r := range recs {
		out[i] = r.b
	}
	return out
}

func (s *Server) getBackup(id string) (Backup, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, err := s.lookupLocked(id, false)
	if err != nil {
		return Backup{}, err
	}
	return rec.b, nil
}

// pendingLocked returns the running and queued restores.
func (s *Server) pendingLocked() []*restoreJob {
	out := append([]*restoreJob(nil), s.queue...)
	if s.running != nil {
		out = append(out, s.running)
	}
	return out
}

// startRestore queues a restore of backup id.
func (s *Server) startRestore(id, passphrase string) (Restore, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return Restore{}, errf(503, "shutting_down", "the server is shutting down")
	}
	rec, err := s.lookupLocked(id, true)
	if err != nil {
		return Restore{}, err
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	s.restoreSeq++
	r := &Restore{ID: fmt.Sprintf("restore-%s-%d", now.Format("20060102-150405"), s.restoreSeq),
		DatabaseID: s.cfg.DatabaseID, BackupID: id, Status: RestoreRestoring, CreatedAt: now,
		Message: fmt.Sprintf("Restore of database %s from backup %s has started.", s.cfg.DatabaseID, id)}
	s.restores[r.ID] = r
	s.lastRestore = r
	s.queue = append(s.queue, &restoreJob{r: r, rec: rec, passphrase: s.passphraseFor(rec, passphrase)})
	select {
	case s.wake <- struct{}{}:
	default:
	}
	s.log.Info("restore accepted", "restore", r.ID, "backup", id)
	return *r, nil
}

// restoreWorker runs queued restores one at a time, in order.
func (s *Server) restoreWorker() {
	defer s.wg.Done()
	for {
		s.mu.Lock()
		if len(s.queue) == 0 {
			s.mu.Unlock()
			select {
			case <-s.wake:
				continue
			case <-s.ctx.Done():
				return
			}
		}
		job := s.queue[0]
		s.queue = s.queue[1:]
		s.running = job
		fail := s.faults.FailNextRestores > 0
		if fail {
			s.faults.FailNextRestores--
		}
		s.mu.Unlock()

		var err error
		var tables []TableInfo
		if d := s.cfg.RestoreDelay; d > 0 {
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-s.ctx.Done():
				t.Stop()
			}
		}
		switch {
		case s.ctx.Err() != nil:
			err = errors.New("the server shut down before the restore ran")
		case fail:
			err = errors.New("injected failure: the restore was made to fail by the server's fault injection (Faults.FailNextRestores); the data was not touched")
		default:
			tables, err = s.restore(s.ctx, job.rec, job.passphrase)
		}

		s.mu.Lock()
		now := time.Now().UTC().Truncate(time.Millisecond)
		job.r.CompletedAt = &now
		if err != nil {
			job.r.Status = RestoreFailed
			job.r.Error = err.Error()
			job.r.Message = fmt.Sprintf("Restore of database %s from backup %s failed.", job.r.DatabaseID, job.r.BackupID)
			s.log.Warn("restore failed", "restore", job.r.ID, "err", err)
		} else {
			job.r.Status = RestoreCompleted
			job.r.Tables = tables
			job.r.Message = fmt.Sprintf("Database %s was restored from backup %s.", job.r.DatabaseID, job.r.BackupID)
			s.log.Info("restore completed", "restore", job.r.ID)
		}
		s.running = nil
		s.mu.Unlock()
	}
}

// restore replaces the database's data with the backup's.
func (s *Server) restore(ctx context.Context, rec *backupRecord, passphrase string) ([]TableInfo, error) {
	if rec.m.Dialect != s.dialect {
		return nil, fmt.Errorf("backup %s was taken from a %s database and cannot be restored into %s", rec.b.ID, rec.m.Dialect, s.dialect)
	}
	c, err := s.codecFor(rec, passphrase)
	if err != nil {
		return nil, err
	}
	if rec.m.Dump != nil {
		if err := s.pgRestore(ctx, rec, c); err != nil {
			return nil, err
		}
		tables, err := loadTables(ctx, s.db, s.dialect, s.cfg.Schema)
		if err != nil {
			return nil, err
		}
		if err := resetSequences(ctx, s.db, s.dialect, s.cfg.Schema, tables); err != nil {
			return nil, err
		}
		return s.tableCounts(ctx, tables)
	}

	// Read, check and decode every page before touching the data, so a
	// corrupted or undecryptable backup leaves the database as it was.
	pages := map[string][][]byte{}
	for _, t := range rec.m.Tables {
		for _, f := range t.Files {
			data, err := readChecked(rec.dir, f)
			if err != nil {
				return nil, err
			}
			plain, err := c.decode(f.Path, data)
			if err != nil {
				return nil, err
			}
			pages[t.Name] = append(pages[t.Name], plain)
		}
	}
	// The catalog is read before the write transaction: on SQLite a read
	// inside it would pin a snapshot that a later write may not upgrade.
	current, err := loadTables(ctx, s.db, s.dialect, s.cfg.Schema)
	if err != nil {
		return nil, err
	}
	var order []table
	for _, t := range current {
		if _, ok := pages[t.Name]; ok {
			order = append(order, t)
		}
	}
	if len(order) != len(rec.m.Tables) {
		have := map[string]bool{}
		for _, t := range order {
			have[t.Name] = true
		}
		var missing []string
		for _, t := range rec.m.Tables {
			if !have[t.Name] {
				missing = append(missing, t.Name)
			}
		}
		return nil, fmt.Errorf("the backup holds tables the database lacks: %s (create the schema first)", strings.Join(missing, ", "))
	}

	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("begin restore transaction: %w", err)
	}
	defer tx.Rollback()
	deferFK := `PRAGMA defer_foreign_keys = ON`
	if s.dialect == Postgres {
		deferFK = `SET CONSTRAINTS ALL DEFERRED`
	}
	if _, err := tx.ExecContext(ctx, deferFK); err != nil {
		return nil, fmt.Errorf("defer constraints: %w", err)
	}
	for i := len(order) - 1; i >= 0; i-- {
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+qualified(s.dialect, s.cfg.Schema, order[i].Name)); err != nil {
			return nil, fmt.Errorf("clear table %s: %w", order[i].Name, err)
		}
	}
	counts := make([]TableInfo, 0, len(order))
	want := map[string]int64{}
	for _, t := range rec.m.Tables {
		want[t.Name] = t.Rows
	}
	for _, t := range order {
		var n int64
		for _, p := range pages[t.Name] {
			k, err := insertPage(ctx, tx, s.dialect, s.cfg.Schema, t, p)
			if err != nil {
				return nil, fmt.Errorf("insert into %s: %w", t.Name, err)
			}
			n += k
		}
		if n != want[t.Name] {
			return nil, fmt.Errorf("inserted %d rows into %s, the backup records %d", n, t.Name, want[t.Name])
		}
		counts = append(counts, TableInfo{Name: t.Name, Rows: n})
	}
	if err := resetSequences(ctx, tx, s.dialect, s.cfg.Schema, order); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("commit restore (foreign keys are checked here): %w", err)
	}
	return counts, nil
}

// tableCounts returns live row counts.
func (s *Server) tableCounts(ctx context.Context, tables []table) ([]TableInfo, error) {
	out := make([]TableInfo, 0, len(tables))
	for _, t := range tables {
		n, err := countRows(ctx, s.db, s.dialect, s.cfg.Schema, t.Name)
		if err != nil {
			return nil, err
		}
		out = append(out, TableInfo{Name: t.Name, Rows: n})
	}
	return out, nil
}

// database returns the database object.
func (s *Server) database(ctx context.Context) Database {
	s.mu.Lock()
	d := Database{ID: s.cfg.DatabaseID, Name: s.cfg.DatabaseName, Engine: string(s.dialect), Status: "ready",
		CreatedAt: s.created, PendingRestores: len(s.pendingLocked()), Tables: []TableInfo{}}
	if d.PendingRestores > 0 {
		d.Status = "restoring"
	}
	for _, r := range s.backups {
		if r.b.Status == StatusRunning {
			d.ActiveBackups++
		}
	}
	if s.lastRestore != nil {
		r := *s.lastRestore
		d.LastRestore = &r
	}
	s.mu.Unlock()
	if tables, err := loadTables(ctx, s.db, s.dialect, s.cfg.Schema); err == nil {
		if counts, err := s.tableCounts(ctx, tables); err == nil {
			d.Tables = counts
		}
	}
	return d
}

func (s *Server) getRestore(id string) (Restore, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.restores[id]
	if r == nil {
		return Restore{}, errf(404, "restore_not_found", "restore %q not found", id)
	}
	return *r, nil
}
