# SPDX-License-Identifier: GPL-2.0
#
# Build, boot and test in-kernel checkpoint/restart on Linux 6.12.
# `make help` lists the targets; README.md explains them.

TOP := $(CURDIR)
BUILD := $(TOP)/build

# A user's 6.12 tree instead of Debian's linux-source-6.12 (KDIR=path).
KDIR ?=
ifneq ($(KDIR),)
SRC := $(abspath $(KDIR))
WORK := $(BUILD)/kdir-$(shell printf %s '$(SRC)' | md5sum | cut -c1-8)
else
SRC := $(BUILD)/linux-source-6.12
WORK := $(BUILD)
endif

JOBS ?= $(shell nproc)
V ?= 0
KVM ?= 0
# make kernel CONFIG=plain|debug|other (default: plain and debug; other
# is make cross's third build)
CONFIG ?= plain debug
CMD ?=
SHARE ?=
TIMEOUT ?= 600
# make fuzz: seconds of fuzzing
FUZZ_TIME ?= 1800
# make torture: rounds of each race of ckpt_race_test
TORTURE_ROUNDS ?= 1000

export TOP BUILD KDIR JOBS V KVM

ifeq ($(V),1)
Q :=
else
Q := @
endif

KCONFIGS := plain debug other
obj = $(WORK)/obj-$(1)
bzimage = $(call obj,$(1))/arch/x86/boot/bzImage
INITRAMFS := $(WORK)/initramfs.cpio.gz

# A user tree may change behind our back: always ask kbuild.  Debian's
# tree only changes through scripts/prepare-tree.sh, which touches
# tree.stamp when it changes anything.
ifneq ($(KDIR),)
KBUILD_FORCE := FORCE
endif

.DEFAULT_GOAL := all
# The kernel builds are parallel inside; running two at once would only
# interleave their output.
.NOTPARALLEL:
.PHONY: all help deps tree kernel initramfs userspace ckpt selftests \
	demo run check fuzz torture cross patches patches-check patches-bisect-check bench \
	clean distclean FORCE

all: deps
	$(Q)$(MAKE) --no-print-directory kernel CONFIG=plain
	$(Q)$(MAKE) --no-print-directory initramfs

help:
	@echo 'Targets (see README.md):'
	@echo '  make / make deps     install missing Debian packages (make: and build for demo)'
	@echo '  make demo            boot the plain kernel, checkpoint and restart a counter'
	@echo '  make check           host tests, then the selftests in the debug kernel'
	@echo '  make fuzz            fuzz restart(2) in the debug kernel [FUZZ_TIME=s, default 1800]'
	@echo '  make torture         race checkpoint/restart with forks, exits, kills, creds, ptrace [TORTURE_ROUNDS=n, default 1000]'
	@echo '  make cross           checkpoint in one kernel, restart in another (plain, debug, other)'
	@echo "  make run CMD='...'   run CMD in the plain kernel's guest [SHARE=dir]; no CMD: shell"
	@echo '  make kernel          build the kernels [CONFIG=plain|debug|other]'
	@echo '  make initramfs       busybox + ckpt + selftests + demo-counter'
	@echo '  make tree            extract the kernel source, copy our files in, apply patches/'
	@echo '  make patches         out/patches/: the feature as a git format-patch series'
	@echo '  make patches-check   that series applies with git am to the pristine base'
	@echo '  make patches-bisect-check  every prefix of the series builds (slow)'
	@echo '  make clean | distclean'
	@echo 'Variables: KDIR=tree JOBS=n V=1 KVM=1 TIMEOUT=s CHECK_TIMEOUT=s TEST_TIMEOUT=s'

deps:
	$(Q)$(TOP)/scripts/deps.sh

# --- the kernel tree and the kernels -------------------------------------

$(WORK)/tree.stamp: FORCE
	$(Q)$(TOP)/scripts/prepare-tree.sh

tree: $(WORK)/tree.stamp

# Written by prepare-tree.sh along with tree.stamp.
$(WORK)/kconfig.stamp: $(WORK)/tree.stamp ;

CONFIG_FRAGMENTS_plain := configs/base.config
CONFIG_FRAGMENTS_debug := configs/base.config configs/debug.config
CONFIG_FRAGMENTS_other := configs/base.config configs/other.config

define kernel_rules
$(call obj,$(1))/.kconfig.stamp: $(CONFIG_FRAGMENTS_$(1)) scripts/kconfig.sh $(WORK)/kconfig.stamp
	$(Q)$(TOP)/scripts/kconfig.sh $(1)
	$(Q)touch $$@

$(call bzimage,$(1)): $(call obj,$(1))/.kconfig.stamp $(WORK)/tree.stamp $(KBUILD_FORCE)
	@echo '  KBUILD   $(1) kernel (log: $(patsubst $(TOP)/%,%,$(call obj,$(1)))/build.log)'
	$(Q)env -u MAKEFLAGS -u MFLAGS -u MAKEOVERRIDES -u MAKELEVEL \
		$(TOP)/scripts/kbuild.sh $(1) bzImage
	$(Q)touch $$@

kernel-$(1): $(call bzimage,$(1))
.PHONY: kernel-$(1)
endef
$(foreach c,$(KCONFIGS),$(eval $(call kernel_rules,$(c))))

kernel: $(foreach c,$(CONFIG),kernel-$(c))

# --- guest userspace and initramfs ----------------------------------------

# Each is its own make, cheap when nothing changed; a missing source
# directory (not written yet) is skipped (status 77).
ckpt: tree
	$(Q)$(TOP)/scripts/build-user.sh ckpt || [ $$? = 77 ]

selftests: tree
	$(Q)$(TOP)/scripts/build-user.sh selftests || [ $$? = 77 ]

userspace: ckpt selftests
	$(Q)$(TOP)/scripts/build-user.sh demo

initramfs: userspace
	$(Q)$(TOP)/scripts/mkinitramfs.sh base $(INITRAMFS)

# --- running it -------------------------------------------------------------

demo: deps kernel-plain initramfs
	$(Q)test -x $(WORK)/user/bin/ckpt || { \
		echo 'error: no ckpt tool yet (tools/checkpoint/Makefile)'; exit 1; }
	$(Q)APPEND=quiet TIMEOUT=$(TIMEOUT) $(TOP)/scripts/qemu-run.sh plain $(TOP)/scripts/guest/demo.sh

# CMD reaches the guest in a file, so that no quoting is lost on the way.
# make can only exit 0 or 2: scripts/run.sh gives CMD's exact status.
run: deps kernel-plain initramfs
	$(Q)NO_BUILD=1 TIMEOUT=$(TIMEOUT) SHARE='$(SHARE)' \
		$(TOP)/scripts/run.sh '$(subst ','\'',$(value CMD))'

check: deps
	$(Q)$(TOP)/scripts/check.sh

# The restart(2) fuzzer (ckpt_fuzz) in the debug kernel's guest: results
# in bench/results/fuzz.md, findings in bench/results/fuzz-findings/.
fuzz: deps kernel-debug initramfs
	$(Q)FUZZ_TIME=$(FUZZ_TIME) $(TOP)/scripts/fuzz.sh

# ckpt_race_test, each race for TORTURE_ROUNDS rounds, in the debug
# kernel's guest: results and kernel reports in bench/results/torture.md.
torture: deps kernel-debug initramfs
	$(Q)TORTURE_ROUNDS=$(TORTURE_ROUNDS) $(TOP)/scripts/torture.sh

# A container checkpointed in one of three kernels restarts in each other
# one: bench/results/cross.md.
cross: deps kernel-plain kernel-debug kernel-other initramfs
	$(Q)$(TOP)/scripts/cross.sh

# Ours against CRIU and the hardware limit, in the plain kernel's guest;
# BENCH_QUICK=1: one run of a reduced set.  bench/README.md says more.
bench:
	$(Q)$(TOP)/bench/run.sh

# --- the series -------------------------------------------------------------

patches: tree
	$(Q)$(TOP)/scripts/patches.sh generate $(TOP)/out/patches

patches-check: tree
	$(Q)$(TOP)/scripts/patches.sh check

patches-bisect-check: tree
	$(Q)$(TOP)/scripts/patches.sh bisect

# --- cleaning ---------------------------------------------------------------

# Keeps the extracted tree and what prepare-tree.sh knows about it.
clean:
	rm -rf $(WORK)/obj-* $(WORK)/user $(WORK)/selftests-build $(WORK)/ckpt-build \
		$(WORK)/initramfs.cpio.gz* $(WORK)/gen_init_cpio $(WORK)/*.log \
		$(WORK)/qemu.* $(WORK)/check.env $(TOP)/out

# User trees get their pristine files back before we forget them.
distclean:
	$(Q)for s in $(BUILD)/kdir-*/srctree; do \
		[ -f "$$s" ] || continue; \
		KDIR="$$(cat $$s)" $(TOP)/scripts/prepare-tree.sh --restore || exit 1; \
	done
	rm -rf $(BUILD) $(TOP)/out

FORCE:
