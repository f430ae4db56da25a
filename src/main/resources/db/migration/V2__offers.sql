-- The catalog. Prices are per stream-hour while a stream runs.
INSERT INTO offers (id, name, description, price_per_hour_cents, currency, renditions, sort_order) VALUES
('hd-abr', 'HD adaptive', '1080p source, four-rung H.264 ladder (1080p, 720p, 480p, 360p) with AAC audio.', 240, 'USD',
 '[{"name":"1080p","width":1920,"height":1080,"videoBitrateKbps":5000,"fps":30,"audioBitrateKbps":128},{"name":"720p","width":1280,"height":720,"videoBitrateKbps":2800,"fps":30,"audioBitrateKbps":128},{"name":"480p","width":854,"height":480,"videoBitrateKbps":1400,"fps":30,"audioBitrateKbps":96},{"name":"360p","width":640,"height":360,"videoBitrateKbps":800,"fps":30,"audioBitrateKbps":96}]', 10),
('sd-abr', 'SD adaptive', '480p source, three-rung H.264 ladder (480p, 360p, 240p) with AAC audio.', 120, 'USD',
 '[{"name":"480p","width":854,"height":480,"videoBitrateKbps":1400,"fps":30,"audioBitrateKbps":96},{"name":"360p","width":640,"height":360,"videoBitrateKbps":800,"fps":30,"audioBitrateKbps":96},{"name":"240p","width":426,"height":240,"videoBitrateKbps":400,"fps":30,"audioBitrateKbps":64}]', 20),
('mobile', 'Mobile', 'Two small renditions (240p, 144p) for phones on weak networks.', 60, 'USD',
 '[{"name":"240p","width":426,"height":240,"videoBitrateKbps":400,"fps":25,"audioBitrateKbps":64},{"name":"144p","width":256,"height":144,"videoBitrateKbps":180,"fps":15,"audioBitrateKbps":48}]', 30);
