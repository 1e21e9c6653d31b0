/* ana_file_int.h - shared inside analysis/ only: an output file written
 * whole or not at all (a temporary file in the target's folder, flushed,
 * fsync'ed and renamed over the target; on any failure removed). */
#ifndef ANA_FILE_INT_H
#define ANA_FILE_INT_H

#include <stdio.h>

#include "ss_status.h"

typedef struct ana_file {
    FILE *f;            /* write here */
    char tmp[4096];     /* the temporary file's name */
    const char *target; /* borrowed */
} ana_file;

/* Create the temporary file for target. Status: SS_OK; SS_EIO (err names
 * the target: folder missing or not writable, name too long). */
ss_status ana_file_open(ana_file *af, const char *target, char *err, size_t errlen);
/* Close and rename over the target; SS_EIO if any write failed (the
 * temporary file is removed). */
ss_status ana_file_commit(ana_file *af, char *err, size_t errlen);
/* Give up: close and remove the temporary file. Safe after commit. */
void ana_file_abort(ana_file *af);

/* Write s as a JSON string (quoted, escaped) / as XML character data. */
void ana_file_json_string(FILE *f, const char *s);
void ana_file_xml_text(FILE *f, const char *s);

#endif
