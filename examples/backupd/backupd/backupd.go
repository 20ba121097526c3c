// Package backupd is a local database backup service with the shape of the
// Prisma Postgres Management API's backup endpoints, working on a real
// database: SQLite (modernc.org/sqlite, the default) or PostgreSQL (pgx).
//
// A backup copies the data table by table into JSON files (paged, optionally
// gzip-compressed and AES-256-GCM-encrypted), in the layout of
// @vorlefan/prisma-backup, or, on PostgreSQL, runs pg_dump -Fc. A restore
// replaces the data in foreign-key dependency order inside one transaction
// (or runs pg_restore --clean) and resets id sequences. Backups and restores
// are asynchronous: the API answers 202 and clients poll.
//
// Migrations (a named list of SQL statements, applied one by one) stand in
// for the schema migrations a safety backup protects: a failing statement
// leaves the ones before it applied, and restoring the backup undoes them.
//
// The Faults in Config (and Server.SetFaults) inject failures for testing
// clients: failed or never-completing backups, dropped connections,
// throttling, Retry-After headers and slow responses.
package backupd

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// Defaults for the zero values of Config.
const (
	DefaultDatabaseID    = "db_demo"
	DefaultToken         = "backupd-dev-token"
	DefaultPageSize      = 1000
	DefaultRetentionDays = 30
	DefaultKDFIterations = 600_000
)

// Config configures a Server. The zero value serves an SQLite database in a
// temporary directory, seeded with demo data, with token DefaultToken.
type Config struct {
	// DatabaseID is the id in the API paths; default DefaultDatabaseID.
	DatabaseID string
	// DatabaseName is the display name; default DatabaseID.
	DatabaseName string
	// DatabaseURL selects PostgreSQL (postgres://… or postgresql://…); empty
	// means an SQLite file <DataDir>/<DatabaseID>.sqlite.
	DatabaseURL string
	// Schema is the PostgreSQL schema backed up and restored; default public.
	Schema string
	// DataDir holds the SQLite file and the backups. Empty means a temporary
	// directory that Close removes.
	DataDir string
	// Token is the bearer token every /v1 request must carry; default
	// DefaultToken.
	Token string
	// Passphrase is the server-side passphrase used for encrypted backups
	// when a request gives none (so restores without a body still work).
	Passphrase string
	// PageSize is the number of rows per table file; default
	// DefaultPageSize.
	PageSize int
	// BackupDelay is the minimum time a backup stays "running".
	BackupDelay time.Duration
	// RestoreDelay is the time a restore waits before touching the data, so
	// clients can observe the "restoring" status.
	RestoreDelay time.Duration
	// RetentionDays is the default retention; default DefaultRetentionDays.
	RetentionDays int
	// KDFIterations is the PBKDF2 iteration count for new encrypted backups;
	// default DefaultKDFIterations (tests lower it).
	KDFIterations int
	// NoSeed disables creating and seeding the demo schema when the database
	// has no tables.
	NoSeed bool
	// PgDump and PgRestore are the client binaries; default found on PATH.
	PgDump, PgRestore string
	// Faults are the initial fault-injection settings.
	Faults Faults
	// Logger receives one line per backup and restore; default discards.
	Logger *slog.Logger
	// OnBackupWritten, when set, is called with a backup's id after its
	// data is written and before it is reported completed.
	OnBackupWritten func(backupID string)
}

// Faults injects failures. Counters are consumed as they fire.
type Faults struct {
	// FailNextBackups makes the next N backups end with status "failed".
	FailNextBackups int
	// FailNextRestores makes the next N restores fail without touching data.
	FailNextRestores int
	// NeverComplete keeps new backups "running" until the server closes.
	NeverComplete bool
	// DropListCalls hijacks and closes the connection, without a response,
	// on the next N listDatabaseBackups calls.
	DropListCalls int
	// ThrottleListCalls answers the next N listDatabaseBackups calls with
	// 429 and a Retry-After header.
	ThrottleListCalls int
	// RetryAfter, when positive, adds a Retry-After header (whole seconds,
	// at least 1) to every /v1 response.
	RetryAfter time.Duration
	// ResponseDelay delays every /v1 response.
	ResponseDelay time.Duration
}

// Backup statuses.
const (
	StatusRunning   = "running"
	StatusCompleted = "completed"
	StatusFailed    = "failed"
)

// Backup methods.
const (
	MethodJSON   = "json"
	MethodPgDump = "pg_dump"
)

// Backup is the API's backup object.
type Backup struct {
	ID            string       `json:"id"`
	DatabaseID    string       `json:"databaseId"`
	Type          string       `json:"type"`
	Label         *string      `json:"label"`
	Reason        *string      `json:"reason"`
	Status        string       `json:"status"`
	Method        string       `json:"method"`
	SizeBytes     int64        `json:"sizeBytes"`
	SHA256        string       `json:"sha256"`
	Compressed    bool         `json:"compressed"`
	Encrypted     bool         `json:"encrypted"`
	RetentionDays int          `json:"retentionDays"`
	CreatedAt     time.Time    `json:"createdAt"`
	CompletedAt   *time.Time   `json:"completedAt"`
	ExpiresAt     time.Time    `json:"expiresAt"`
	Verification  Verification `json:"verification"`
	Tables        []TableInfo  `json:"tables"`
	Error         string       `json:"error,omitempty"`
}

// Verification is the result of the last integrity check of a backup.
type Verification struct {
	// Status is "unverified", "passed" or "failed".
	Status     string     `json:"status"`
	VerifiedAt *time.Time `json:"verifiedAt"`
	// FileExists, FileReadable and ChecksumValid are set by a verification;
	// FileReadable stays null when an encrypted backup was verified without
	// its passphrase.
	FileExists    *bool    `json:"fileExists,omitempty"`
	FileReadable  *bool    `json:"fileReadable,omitempty"`
	ChecksumValid *bool    `json:"checksumValid,omitempty"`
	Problems      []string `json:"problems,omitempty"`
}

// TableInfo is a table name and row count.
type TableInfo struct {
	Name string `json:"name"`
	Rows int64  `json:"rows"`
}

// Restore statuses.
const (
	RestoreRestoring = "restoring"
	RestoreCompleted = "completed"
	RestoreFailed    = "failed"
)

// Restore is the API's restore object.
type Restore struct {
	ID          string      `json:"id"`
	DatabaseID  string      `json:"databaseId"`
	BackupID    string      `json:"backupId"`
	Status      string      `json:"status"`
	Message     string      `json:"message"`
	CreatedAt   time.Time   `json:"createdAt"`
	CompletedAt *time.Time  `json:"completedAt"`
	Tables      []TableInfo `json:"tables,omitempty"`
	Error       string      `json:"error,omitempty"`
}

// Database is the API's database object.
type Database struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Engine string `json:"engine"`
	// Status is "ready", or "restoring" while a restore is queued or running.
	Status          string      `json:"status"`
	CreatedAt       time.Time   `json:"createdAt"`
	ActiveBackups   int         `json:"activeBackups"`
	PendingRestores int         `json:"pendingRestores"`
	LastRestore     *Restore    `json:"lastRestore"`
	Tables          []TableInfo `json:"tables"`
}

// backupRecord is the server's state for one backup.
type backupRecord struct {
	b   Backup
	seq int64 // creation order, breaks createdAt ties
	dir string
	m   *manifest // nil while running
	// passphrase is kept in memory only, for restores without a body.
	passphrase string
}

// restoreJob is a queued restore.
type restoreJob struct {
	r          *Restore
	rec        *backupRecord
	passphrase string
}

// Server serves the backup API for one database.
type Server struct {
	cfg     Config
	dialect Dialect
	db      *sql.DB
	dir     string // backups of this database
	ownsDir string // temporary data dir removed by Close
	created time.Time
	log     *slog.Logger
	openapi []byte // JSON

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	once   sync.Once
	wake   chan struct{} // signals the restore worker

	mu          sync.Mutex
	backups     map[string]*backupRecord
	seq         int64
	faults      Faults
	queue       []*restoreJob
	running     *restoreJob
	restores    map[string]*Restore
	lastRestore *Restore
	restoreSeq  int64
	closed      bool

	migMu        sync.Mutex // serializes migrations
	migrations   map[string]*Migration
	migrationSeq int64
}

// New opens (and on first use creates and seeds) the database, loads the
// backups found in the data directory and returns a Server ready to serve.
func New(cfg Config) (*Server, error) {
	if cfg.DatabaseID == "" {
		cfg.DatabaseID = DefaultDatabaseID
	}
	if strings.ContainsAny(cfg.DatabaseID, `/\`) || cfg.DatabaseID == "." || cfg.DatabaseID == ".." {
		return nil, fmt.Errorf("backupd: invalid DatabaseID %q: it must not contain slashes", cfg.DatabaseID)
	}
	if cfg.DatabaseName == "" {
		cfg.DatabaseName = cfg.DatabaseID
	}
	if cfg.Schema == "" {
		cfg.Schema = "public"
	}
	if cfg.Token == "" {
		cfg.Token = DefaultToken
	}
	if cfg.PageSize <= 0 {
		cfg.PageSize = DefaultPageSize
	}
	if cfg.RetentionDays <= 0 {
		cfg.RetentionDays = DefaultRetentionDays
	}
	if cfg.KDFIterations <= 0 {
		cfg.KDFIterations = DefaultKDFIterations
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, log: cfg.Logger, backups: map[string]*backupRecord{}, restores: map[string]*Restore{},
		migrations: map[string]*Migration{}, faults: cfg.Faults, wake: make(chan struct{}, 1), created: time.Now().UTC().Truncate(time.Second)}
	if cfg.DataDir == "" {
		dir, err := os.MkdirTemp("", "backupd-")
		if err != nil {
			return nil, fmt.Errorf("backupd: create temporary data directory: %w", err)
		}
		s.ownsDir, cfg.DataDir, s.cfg.DataDir = dir, dir, dir
	}
	fail := func(err error) (*Server, error) {
		if s.db != nil {
			s.db.Close()
		}
		if s.ownsDir != "" {
			os.RemoveAll(s.ownsDir)
		}
		return nil, err
	}
	s.dir = filepath.Join(cfg.DataDir, "backups", cfg.DatabaseID)
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return fail(fmt.Errorf("backupd: create backup directory: %w (check that --data-dir is writable)", err))
	}
	var err error
	switch {
	case cfg.DatabaseURL == "":
		s.dialect = SQLite
		path := filepath.Join(cfg.DataDir, cfg.DatabaseID+".sqlite")
		// WAL lets backups read a snapshot while a restore writes;
		// _txlock=immediate takes the write lock at BEGIN for read-write
		// transactions, so they wait (busy_timeout) instead of failing.
		s.db, err = sql.Open("sqlite", path+"?_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_txlock=immediate")
	case strings.HasPrefix(cfg.DatabaseURL, "postgres://"), strings.HasPrefix(cfg.DatabaseURL, "postgresql://"):
		s.dialect = Postgres
		s.db, err = sql.Open("pgx", cfg.DatabaseURL)
	default:
		return fail(errors.New("backupd: DatabaseURL must start with postgres:// or postgresql:// (leave it empty for SQLite)"))
	}
	if err != nil {
		return fail(fmt.Errorf("backupd: open %s database: %w", s.dialect, err))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.db.PingContext(ctx); err != nil {
		return fail(fmt.Errorf("backupd: connect to the %s database: %w (is it running and is the URL right?)", s.dialect, err))
	}
	if !cfg.NoSeed {
		has, err := hasTables(ctx, s.db, s.dialect, cfg.Schema)
		if err != nil {
			return fail(fmt.Errorf("backupd: inspect database: %w", err))
		}
		if !has {
			if err := SeedDemoData(ctx, s.db, s.dialect); err != nil {
				return fail(fmt.Errorf("backupd: %w", err))
			}
		}
	}
	if err := s.loadBackups(); err != nil {
		return fail(err)
	}
	s.openapi, err = openAPIJSON()
	if err != nil {
		return fail(err)
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.wg.Add(1)
	go s.restoreWorker()
	return s, nil
}

// DB returns the database the server backs up, for tests and the demo.
func (s *Server) DB() *sql.DB { return s.db }

// Dialect returns the database engine.
func (s *Server) Dialect() Dialect { return s.dialect }

// DatabaseID returns the database's id in the API paths.
func (s *Server) DatabaseID() string { return s.cfg.DatabaseID }

// Token returns the bearer token the API expects.
func (s *Server) Token() string { return s.cfg.Token }

// BackupDir returns the folder holding one backup's files.
func (s *Server) BackupDir(backupID string) string { return filepath.Join(s.dir, backupID) }

// Faults returns the current fault-injection settings (with counters
// already consumed subtracted).
func (s *Server) Faults() Faults {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faults
}

// SetFaults replaces the fault-injection settings.
func (s *Server) SetFaults(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = f
}

// Close stops background work (running backups fail, queued restores are
// abandoned), waits for it, closes the database and removes a temporary
// data directory. It is safe to call more than once.
func (s *Server) Close() error {
	var err error
	s.once.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		s.cancel()
		s.wg.Wait()
		err = s.db.Close()
		if s.ownsDir != "" {
			os.RemoveAll(s.ownsDir)
		}
	})
	return err
}

// loadBackups reads the manifests left by earlier runs.
func (s *Server) loadBackups() error {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return fmt.Errorf("backupd: read backup directory: %w", err)
	}
	var recs []*backupRecord
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		dir := filepath.Join(s.dir, e.Name())
		m, err := readManifest(dir)
		if err != nil {
			// A folder without a manifest is a backup interrupted by a
			// crash: it is not listed.
			s.log.Warn("skipping backup folder without a readable manifest", "dir", dir, "err", err)
			continue
		}
		recs = append(recs, &backupRecord{b: m.Backup, dir: dir, m: m})
	}
	sort.Slice(recs, func(i, j int) bool { return recs[i].b.CreatedAt.Before(recs[j].b.CreatedAt) })
	for _, r := range recs {
		s.seq++
		r.seq = s.seq
		s.backups[r.b.ID] = r
	}
	return nil
}
