/*
 * exchange.c
 *		Module entry of the `exchange` extension.
 *
 * The extension's functions live in files of one purpose each:
 *	ticks.c		exact numeric price <-> integer tick conversions
 *	batch.c		the journal batch codec (include/exchange_wire.h) for the sequencer
 */
#include "postgres.h"

#include "fmgr.h"

PG_MODULE_MAGIC;
