set terminal svg size 1260,440 dynamic noenhanced font 'Helvetica,12' background rgb 'white'
set grid lc rgb '#dddddd'
set key top left box opaque
set border lc rgb '#555555'
set multiplot layout 1,3 title "Server CPU per request vs throughput\n512 B, shared"
set xlabel 'requests/s'
set format x '%.0s%c'
set xrange [0:*]
set ylabel 'server CPU µs/request (median, bars: min…max)'
set yrange [0:*]
set key top right box opaque
set title '10 connections'
unset arrow
plot 'plots/cpu_per_request_uring-client_c0_s512_w0_shared_0.dat' using 1:2 with linespoints lw 2 pt 7 ps 0.8 lc rgb '#d62728' title 'blocking', '' using 1:2:3:4 with yerrorbars pt -1 lw 1 lc rgb '#d62728' notitle, \
     'plots/cpu_per_request_uring-client_c0_s512_w0_shared_1.dat' using 1:2 with linespoints lw 2 pt 7 ps 0.8 lc rgb '#1f77b4' title 'epoll', '' using 1:2:3:4 with yerrorbars pt -1 lw 1 lc rgb '#1f77b4' notitle, \
     'plots/cpu_per_request_uring-client_c0_s512_w0_shared_2.dat' using 1:2 with linespoints lw 2 pt 7 ps 0.8 lc rgb '#2ca02c' title 'io_uring', '' using 1:2:3:4 with yerrorbars pt -1 lw 1 lc rgb '#2ca02c' notitle
set title '100 connections'
unset arrow
plot 'plots/cpu_per_request_uring-client_c0_s512_w0_shared_3.dat' using 1:2 with linespoints lw 2 pt 7 ps 0.8 lc rgb '#d62728' title 'blocking', '' using 1:2:3:4 with yerrorbars pt -1 lw 1 lc rgb '#d62728' notitle, \
     'plots/cpu_per_request_uring-client_c0_s512_w0_shared_4.dat' using 1:2 with linespoints lw 2 pt 7 ps 0.8 lc rgb '#1f77b4' title 'epoll', '' using 1:2:3:4 with yerrorbars pt -1 lw 1 lc rgb '#1f77b4' notitle, \
     'plots/cpu_per_request_uring-client_c0_s512_w0_shared_5.dat' using 1:2 with linespoints lw 2 pt 7 ps 0.8 lc rgb '#2ca02c' title 'io_uring', '' using 1:2:3:4 with yerrorbars pt -1 lw 1 lc rgb '#2ca02c' notitle
set title '400 connections'
unset arrow
plot 'plots/cpu_per_request_uring-client_c0_s512_w0_shared_6.dat' using 1:2 with linespoints lw 2 pt 7 ps 0.8 lc rgb '#d62728' title 'blocking', '' using 1:2:3:4 with yerrorbars pt -1 lw 1 lc rgb '#d62728' notitle, \
     'plots/cpu_per_request_uring-client_c0_s512_w0_shared_7.dat' using 1:2 with linespoints lw 2 pt 7 ps 0.8 lc rgb '#1f77b4' title 'epoll', '' using 1:2:3:4 with yerrorbars pt -1 lw 1 lc rgb '#1f77b4' notitle, \
     'plots/cpu_per_request_uring-client_c0_s512_w0_shared_8.dat' using 1:2 with linespoints lw 2 pt 7 ps 0.8 lc rgb '#2ca02c' title 'io_uring', '' using 1:2:3:4 with yerrorbars pt -1 lw 1 lc rgb '#2ca02c' notitle
unset multiplot
