package stages

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/osbuildkit/osbuildkit/manifest"
)

// org.osbuild.users: add users, or modify existing ones, with the
// tree's own useradd/usermod (the tree is the sandbox's root). "password"
// is a crypt(3) hash; "key"/"keys" go to ~/.ssh/authorized_keys (0600, in a
// 0700 ~/.ssh, owned by the user); "expiredate" is in days since
// 1970-01-01.
func init() {
	Define(Definition[usersOptions]{Type: "org.osbuild.users", Plan: planUsers, Run: runUsers})
}

type user struct {
	UID         *int     `json:"uid"`
	GID         *int     `json:"gid"`
	Groups      []string `json:"groups"`
	Description *string  `json:"description"`
	Home        string   `json:"home"`
	Shell       string   `json:"shell"`
	Password    *string  `json:"password"`
	Key         string   `json:"key"`
	Keys        []string `json:"keys"`
	ExpireDate  *int64   `json:"expiredate"`
}

type usersOptions struct {
	Users map[string]user `json:"users"`
}

func planUsers(c *Context, o *usersOptions) (*Plan, error) {
	byUID := map[int]string{}
	for _, name := range slices.Sorted(maps.Keys(o.Users)) {
		u := o.Users[name]
		if u.UID == nil {
			continue
		}
		if other, dup := byUID[*u.UID]; dup {
			return nil, c.OptionError(manifest.Path{"users", name, "uid"}, "uid %d is also given to user %q", *u.UID, other)
		}
		byUID[*u.UID] = name
	}
	return &Plan{Exec: &Exec{Root: RootTree}}, nil
}

func runUsers(rt *Runtime, o *usersOptions) error {
	for _, name := range slices.Sorted(maps.Keys(o.Users)) {
		if err := addUser(rt, name, o.Users[name]); err != nil {
			return fmt.Errorf("user %s: %w", name, err)
		}
	}
	return nil
}

func addUser(rt *Runtime, name string, u user) error {
	exists, err := dbHas(rt, "/etc/passwd", name)
	if err != nil {
		return err
	}
	var args []string
	if u.UID != nil {
		args = append(args, "-u", strconv.Itoa(*u.UID))
	}
	if u.GID != nil {
		args = append(args, "-g", strconv.Itoa(*u.GID))
	}
	if len(u.Groups) > 0 {
		args = append(args, "-G", strings.Join(u.Groups, ","))
	}
	if u.Description != nil {
		args = append(args, "-c", *u.Description)
	}
	if u.Home != "" {
		args = append(args, "-d", u.Home)
	}
	if u.Shell != "" {
		args = append(args, "-s", u.Shell)
	}
	if u.Password != nil {
		args = append(args, "-p", *u.Password)
	}
	if u.ExpireDate != nil {
		args = append(args, "-e", time.Unix(*u.ExpireDate*86400, 0).UTC().Format("2006-01-02"))
	}
	if exists {
		if len(args) > 0 {
			if u.Home != "" {
				args = append(args, "-m")
			}
			if err := rt.Run("usermod", append(args, name)...); err != nil {
				return err
			}
		}
	} else {
		if u.GID == nil {
			args = append(args, "-U")
		}
		if err := rt.Run("useradd", append(append(args, "-m"), name)...); err != nil {
			return err
		}
	}
	keys := u.Keys
	if u.Key != "" {
		keys = append([]string{u.Key}, keys...)
	}
	if len(keys) == 0 {
		return nil
	}
	return writeAuthorizedKeys(rt, name, keys)
}

// writeAuthorizedKeys installs SSH keys for a user, resolving the home
// directory inside the tree.
func writeAuthorizedKeys(rt *Runtime, name string, keys []string) error {
	fields, err := dbEntry(rt, "/etc/passwd", name)
	if err != nil {
		return err
	}
	uid, _ := strconv.Atoi(fields[2])
	gid, _ := strconv.Atoi(fields[3])
	sshDir, err := rt.Path(filepath.Join(fields[5], ".ssh"))
	if err != nil {
		return err
	}
	if err := os.MkdirAll(sshDir, 0o700); err != nil {
		return err
	}
	if err := os.Lchown(sshDir, uid, gid); err != nil {
		return err
	}
	// sshDir is resolved inside the tree; an authorized_keys that is a
	// symlink is replaced by the file, never followed.
	file := filepath.Join(sshDir, "authorized_keys")
	if fi, err := os.Lstat(file); err == nil && fi.Mode()&os.ModeSymlink != 0 {
		if err := os.Remove(file); err != nil {
			return err
		}
	}
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return fmt.Errorf("writing %s's authorized_keys: %w", name, err)
	}
	if _, err := f.WriteString(strings.Join(keys, "\n") + "\n"); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Lchown(file, uid, gid)
}
