package stages

import (
	"errors"
	"os"
	"path/filepath"
)

// prepareTree readies the tree for rpm as osbuild does, and returns what
// undoes it: a placeholder /etc/machine-id while rpm runs (left empty,
// mode 0444, afterwards, whatever was there before), the
// /run/ostree-booted marker with ostree_booted, dracut's kernel-install
// plugins masked with disable_dracut; afterwards also no
// /var/lib/systemd/random-seed.
func (r *rpmRun) prepareTree() (func() error, error) {
	var undo []func() error
	done := func() error {
		var errs []error
		for i := len(undo) - 1; i >= 0; i-- {
			errs = append(errs, undo[i]())
		}
		rm := func(p string) {
			if path, err := r.rt.Path(p); err == nil {
				if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
					errs = append(errs, err)
				}
			}
		}
		rm("/var/lib/systemd/random-seed")
		return errors.Join(errs...)
	}
	add := func(f func() error, err error) error {
		if f != nil {
			undo = append(undo, f)
		}
		return err
	}
	if err := add(r.placeholderMachineID()); err != nil {
		return nil, errors.Join(err, done())
	}
	if r.o.OstreeBooted {
		if err := add(r.marker("/run/ostree-booted", "")); err != nil {
			return nil, errors.Join(err, done())
		}
	}
	if r.o.DisableDracut {
		for _, p := range []string{"50-dracut.install", "51-dracut-rescue.install"} {
			if err := add(r.marker("/etc/kernel/install.d/"+p, "/dev/null")); err != nil {
				return nil, errors.Join(err, done())
			}
		}
	}
	return done, nil
}

// placeholderMachineID writes osbuild's fixed machine ID if the tree has
// none; afterwards /etc/machine-id is empty.
func (r *rpmRun) placeholderMachineID() (func() error, error) {
	p, err := r.rt.Path("/etc/machine-id")
	if err != nil {
		return nil, err
	}
	if _, err := os.Lstat(p); os.IsNotExist(err) {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(p, []byte("ffffffffffffffffffffffffffffffff\n"), 0o444); err != nil {
			return nil, err
		}
	}
	return func() error {
		if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
			return err
		}
		if err := os.WriteFile(p, nil, 0o444); err != nil {
			return err
		}
		return os.Chmod(p, 0o444)
	}, nil
}

// marker creates path in the tree (a symbolic link to target, or an empty
// file when target is empty) and returns what removes it.
func (r *rpmRun) marker(path, target string) (func() error, error) {
	p, err := r.rt.Path(path)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return nil, err
	}
	if target != "" {
		err = os.Symlink(target, p)
	} else {
		err = os.WriteFile(p, nil, 0o644)
	}
	if err != nil {
		return nil, err
	}
	return func() error { return os.Remove(p) }, nil
}
