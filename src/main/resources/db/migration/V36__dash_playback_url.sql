-- A stream with DASH on is also played from the DASH manifest on the CDN delivering it now, beside the HLS playback URL.
ALTER TABLE streams ADD COLUMN dash_playback_url VARCHAR(1000) NULL;
