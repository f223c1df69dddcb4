package localbuild

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"

	bkllb "github.com/moby/buildkit/client/llb"
)

// definitionDigest identifies a build: the digest of its marshalled LLB.
func definitionDigest(def *bkllb.Definition) string {
	h := sha256.New()
	for _, op := range def.Def {
		h.Write(op)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// stamps remember, outside the output directory, which build produced each
// exported pipeline and what its files looked like, so a rebuild that
// changes nothing need not send the output again.
type stamps struct {
	definition string
	entries    map[string]string // export directory → stamp file
}

type stamp struct {
	Definition string            `json:"definition"`
	Files      map[string]string `json:"files"`
}

func (o *output) stamps(definition string) *stamps {
	s := &stamps{definition: definition, entries: map[string]string{}}
	if o.dir == "" || definition == "" {
		return s
	}
	cache, err := CacheDir()
	if err != nil {
		return s
	}
	root := filepath.Join(cache, "exports")
	for _, n := range o.names {
		dir, err := filepath.Abs(filepath.Join(o.dir, n))
		if err != nil {
			continue
		}
		sum := sha256.Sum256([]byte(dir))
		s.entries[dir] = filepath.Join(root, hex.EncodeToString(sum[:8])+".json")
	}
	return s
}

// current reports whether every export is there as the same build left it.
func (s *stamps) current() bool {
	if len(s.entries) == 0 {
		return false
	}
	for dir, file := range s.entries {
		var st stamp
		data, err := os.ReadFile(file)
		if err != nil || json.Unmarshal(data, &st) != nil || st.Definition != s.definition {
			return false
		}
		files, err := listFiles(dir)
		if err != nil || !maps.Equal(files, st.Files) {
			return false
		}
	}
	return true
}

func (s *stamps) save() error {
	for dir, file := range s.entries {
		files, err := listFiles(dir)
		if err != nil {
			return err
		}
		data, err := json.Marshal(stamp{Definition: s.definition, Files: files})
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(file, data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// listFiles records each file's size, mode and modification time.
func listFiles(dir string) (map[string]string, error) {
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out[rel] = fmt.Sprintf("%d %v %d", fi.Size(), fi.Mode(), fi.ModTime().UnixNano())
		return nil
	})
	return out, err
}
