// SPDX-License-Identifier: GPL-2.0-only
/*
 * The human-readable account of a checkpoint or restart, written to the
 * caller's logfd: one line per event, and on failure an "error:" line that
 * names the object or record at fault.
 */
#include <linux/checkpoint.h>
#include <linux/fs.h>
#include <linux/math64.h>
#include <linux/slab.h>

#define CKPT_LOG_LINE	256

static __printf(3, 0) void ckpt_vlog(struct ckpt_ctx *ctx, const char *prefix,
		      const char *fmt, va_list ap)
{
	char *line;
	loff_t *ppos;
	int n;

	if (!ctx->logfile)
		return;
	line = kmalloc(CKPT_LOG_LINE, GFP_KERNEL);
	if (!line)
		return;
	n = scnprintf(line, CKPT_LOG_LINE, "%s", prefix);
	n += vscnprintf(line + n, CKPT_LOG_LINE - n, fmt, ap);
	if (n == CKPT_LOG_LINE - 1)
		n--;
	line[n++] = '\n';

	mutex_lock(&ctx->log_lock);
	ppos = (ctx->logfile->f_mode & FMODE_STREAM) ? NULL : &ctx->logfile->f_pos;
	kernel_write(ctx->logfile, line, n, ppos);
	mutex_unlock(&ctx->log_lock);
	kfree(line);
}

/**
 * ckpt_log() - add a line to the log
 * @ctx: checkpoint or restart context
 * @fmt: printf format
 */
void ckpt_log(struct ckpt_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ckpt_vlog(ctx, "", fmt, ap);
	va_end(ap);
}

/**
 * ckpt_err() - record and log the error that ends a checkpoint or restart
 * @ctx: checkpoint or restart context
 * @err: negative errno
 * @fmt: printf format saying what failed
 *
 * Only the first error is logged: later ones are consequences of it.
 *
 * Return: @err, so that callers can write "return ckpt_err(...)".
 */
int ckpt_err(struct ckpt_ctx *ctx, int err, const char *fmt, ...)
{
	va_list ap;

	if (ctx->err)
		return err;
	ctx->err = err;
	va_start(ap, fmt);
	ckpt_vlog(ctx, "error: ", fmt, ap);
	va_end(ap);
	ckpt_log(ctx, "error: %s failed with errno %d",
		 ctx->restart ? "restart" : "checkpoint", -err);
	return err;
}

/**
 * ckpt_log_stats() - log what the address spaces cost, for ckpt --stats
 * @ctx: checkpoint or restart context
 *
 * One line of key=value pairs before the line that says the checkpoint
 * or restart is complete; a reader ignores keys it does not know.
 */
void ckpt_log_stats(struct ckpt_ctx *ctx)
{
	const struct ckpt_stats *st = &ctx->stats;
	u64 us = div_u64(st->memory_ns, NSEC_PER_USEC);

	if (ctx->restart)
		ckpt_log(ctx,
			 "stats: memory_us=%llu pages_restored=%llu pages_cow=%llu pages_cow_copied=%llu",
			 us, st->pages_written, st->pages_cow, st->pages_cow_copied);
	else
		ckpt_log(ctx,
			 "stats: memory_us=%llu pages_scanned=%llu pages_written=%llu pages_cow=%llu pages_parent=%llu pages_skipped=%llu",
			 us, st->pages_scanned, st->pages_written, st->pages_cow,
			 st->pages_parent, st->pages_skipped);
}
