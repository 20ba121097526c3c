package backupd

import (
	"bytes"
	"compress/gzip"
	"crypto/aes"
	"crypto/cipher"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Archive layout, one folder per backup (after @vorlefan/prisma-backup):
//
//	<data-dir>/backups/<databaseId>/<backupId>/
//	    manifest.json              metadata: the backup object, tables, files, crypto parameters
//	    SHA256SUMS                 sha256sum-format list of every data file; its hash is the backup's sha256
//	    customers.0001.json[.gz][.enc]   one file per table page (method json)
//	    database.pgdump[.enc]      pg_dump custom format (method pg_dump)
//
// Data files are JSON, then gzip when compressed, then AES-256-GCM when
// encrypted: nonce (12 bytes) ‖ ciphertext, with the file name as additional
// data so files cannot be swapped. The key is PBKDF2-HMAC-SHA256 of the
// passphrase with the manifest's salt and iteration count.

const (
	manifestFile  = "manifest.json"
	checksumsFile = "SHA256SUMS"
	formatJSON    = "backupd/json-v1"
	formatPgDump  = "backupd/pg_dump-custom-v1"
)

// manifest is the metadata stored beside a backup's data files.
type manifest struct {
	Format     string          `json:"format"`
	Dialect    Dialect         `json:"dialect"`
	PageSize   int             `json:"pageSize,omitempty"`
	Encryption *encryptionInfo `json:"encryption,omitempty"`
	Backup     Backup          `json:"backup"`
	Tables     []tableArchive  `json:"tables,omitempty"`
	Dump       *fileEntry      `json:"dump,omitempty"`
}

type encryptionInfo struct {
	Algorithm  string `json:"algorithm"`
	KDF        string `json:"kdf"`
	Iterations int    `json:"iterations"`
	Salt       []byte `json:"salt"`
}

type tableArchive struct {
	Name    string      `json:"name"`
	Rows    int64       `json:"rows"`
	Columns []string    `json:"columns"`
	Files   []fileEntry `json:"files"`
}

type fileEntry struct {
	Path      string `json:"path"`
	Rows      int64  `json:"rows,omitempty"`
	SizeBytes int64  `json:"sizeBytes"`
	SHA256    string `json:"sha256"`
}

// files returns every data file in archive order.
func (m *manifest) files() []fileEntry {
	var out []fileEntry
	for _, t := range m.Tables {
		out = append(out, t.Files...)
	}
	if m.Dump != nil {
		out = append(out, *m.Dump)
	}
	return out
}

// checksums renders the SHA256SUMS file.
func (m *manifest) checksums() []byte {
	var b strings.Builder
	for _, f := range m.files() {
		fmt.Fprintf(&b, "%s  %s\n", f.SHA256, f.Path)
	}
	return []byte(b.String())
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// deriveKey turns a passphrase into an AES-256 key.
func deriveKey(passphrase string, info *encryptionInfo) ([]byte, error) {
	key, err := pbkdf2.Key(sha256.New, passphrase, info.Salt, info.Iterations, 32)
	if err != nil {
		return nil, fmt.Errorf("derive encryption key: %w", err)
	}
	return key, nil
}

func newEncryptionInfo(iterations int) (*encryptionInfo, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return nil, fmt.Errorf("generate salt: %w", err)
	}
	return &encryptionInfo{Algorithm: "AES-256-GCM", KDF: "PBKDF2-HMAC-SHA256", Iterations: iterations, Salt: salt}, nil
}

// codec encodes and decodes data files for one backup.
type codec struct {
	compress bool
	aead     cipher.AEAD // nil when not encrypted
}

func newCodec(compress bool, key []byte) (*codec, error) {
	c := &codec{compress: compress}
	if key != nil {
		block, err := aes.NewCipher(key)
		if err != nil {
			return nil, err
		}
		if c.aead, err = cipher.NewGCM(block); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// suffix is appended to data file names.
func (c *codec) suffix() string {
	s := ""
	if c.compress {
		s += ".gz"
	}
	if c.aead != nil {
		s += ".enc"
	}
	return s
}

func (c *codec) encode(name string, plain []byte) ([]byte, error) {
	data := plain
	if c.compress {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		if _, err := zw.Write(plain); err != nil {
			return nil, err
		}
		if err := zw.Close(); err != nil {
			return nil, err
		}
		data = buf.Bytes()
	}
	if c.aead != nil {
		nonce := make([]byte, c.aead.NonceSize())
		if _, err := rand.Read(nonce); err != nil {
			return nil, err
		}
		data = c.aead.Seal(nonce, nonce, data, []byte(name))
	}
	return data, nil
}

// errNeedPassphrase reports an encrypted backup read without a passphrase.
var errNeedPassphrase = errors.New("the backup is encrypted: pass its passphrase (or start the server with Config.Passphrase)")

func (c *codec) decode(name string, data []byte) ([]byte, error) {
	if c.aead != nil {
		n := c.aead.NonceSize()
		if len(data) < n {
			return nil, fmt.Errorf("%s: encrypted file is truncated", name)
		}
		plain, err := c.aead.Open(nil, data[:n], data[n:], []byte(name))
		if err != nil {
			return nil, fmt.Errorf("%s: cannot decrypt (wrong passphrase or corrupted file)", name)
		}
		data = plain
	}
	if c.compress {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("%s: not valid gzip: %w", name, err)
		}
		plain, err := io.ReadAll(zr)
		if err != nil {
			return nil, fmt.Errorf("%s: not valid gzip: %w", name, err)
		}
		data = plain
	}
	return data, nil
}

// writeFile writes a data file and returns its entry.
func writeFile(dir, name string, data []byte, rows int64) (fileEntry, error) {
	if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
		return fileEntry{}, err
	}
	return fileEntry{Path: name, Rows: rows, SizeBytes: int64(len(data)), SHA256: sha256Hex(data)}, nil
}

// readChecked reads a data file and checks its size and sha256 against the
// manifest.
func readChecked(dir string, f fileEntry) ([]byte, error) {
	data, err := os.ReadFile(filepath.Join(dir, f.Path))
	if err != nil {
		return nil, fmt.Errorf("%s: cannot read: %w", f.Path, err)
	}
	if got := sha256Hex(data); got != f.SHA256 {
		return nil, fmt.Errorf("%s: checksum mismatch (sha256 %s, manifest says %s): the file is corrupted", f.Path, got, f.SHA256)
	}
	return data, nil
}

// safeFileName keeps table names usable as file names.
func safeFileName(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}

// writeJSONAtomic writes v as indented JSON through a temporary file, so a
// crash never leaves a half-written manifest.
func writeJSONAtomic(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
